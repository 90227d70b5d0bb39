"""The tracker through its pages, end to end in the test client: project, issue, triage, close."""

from __future__ import annotations

from tests.web.helpers import Browser


async def test_a_member_works_an_issue_through_the_pages(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    created = await browser.submit(
        "/projects/new",
        "/projects",
        key="web",
        name="Website",
        description="",
        visibility="private",
    )
    assert created.status_code == 302, await created.get_data(as_text=True)
    assert created.headers["Location"] == "/projects/WEB"
    await browser.submit("/projects/WEB/settings/labels", "/projects/WEB/settings/labels",
                         name="bug", color="#d73a4a", description="Broken")  # fmt: skip
    await browser.submit("/projects/WEB/settings/milestones", "/projects/WEB/settings/milestones",
                         title="v1", due_on="2027-01-31", description="")  # fmt: skip
    opened = await browser.submit(
        "/projects/WEB/issues/new", "/projects/WEB/issues", title="Logo is blurry",
        body="It **looks** bad", intent="submit",
    )  # fmt: skip
    assert opened.headers["Location"] == "/projects/WEB/issues/1"
    issue = "/projects/WEB/issues/1"
    for action, fields in [
        ("labels", {"label": "bug"}),
        ("assignees", {"assignee": "ada"}),
        ("milestone", {"milestone": "v1"}),
        ("comments", {"body": "On it: see `logo.svg`", "intent": "submit"}),
    ]:
        response = await browser.submit(issue, f"{issue}/{action}", **fields)
        assert response.status_code == 302, (action, await response.get_data(as_text=True))
    page = await browser.page(issue)
    assert "<strong>looks</strong>" in page
    assert "<code>logo.svg</code>" in page
    assert "added the label bug" in page and "assigned ada" in page
    version = page.split('name="version" value="')[1].split('"')[0]
    closed = await browser.submit(
        issue, f"{issue}/state", state="closed", close_reason="completed", version=version
    )
    assert closed.status_code == 302
    found = await browser.page("/projects/WEB?state=closed&labels=bug&assignee=ada&milestone=v1")
    assert "Logo is blurry" in found
    assert "1 closed" in found
    assert "Logo is blurry" not in await browser.page("/projects/WEB?state=open")
    dashboard = await browser.page("/dashboard")
    assert "Logo is blurry" in dashboard
