"""What people do in the browser, in real Chromium against real hypercorn workers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, Site, screenshot

WAIT_MS = 10_000  # live updates arrive within a second or two; this only bounds a failure
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def context(chromium: Browser, site: Site) -> Iterator[BrowserContext]:
    context = chromium.new_context(base_url=site.url)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def sign_up_and_verify(page: Page, site: Site, username: str) -> None:
    address = f"{username}@example.com"
    page.goto("/sign-up")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status").first).to_contain_text(f"we sent a link to {address}")
    page.goto(site.mailbox.link(address, "/verify-email"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status").first).to_contain_text("Your email address is confirmed")


def sign_in(page: Page, login: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def create_project(page: Page, key: str, name: str, *, public: bool = False) -> None:
    page.goto("/projects/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Key").fill(key)
    if public:
        page.get_by_label("Public: anyone can read it, members write").check()
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def open_issue(page: Page, key: str, title: str, body: str) -> None:
    page.goto(f"/projects/{key}/issues/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(body)
    page.get_by_role("button", name="Open issue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def delete_a_comment(page: Page, text: str, *, confirm: bool) -> None:
    """Post a comment and delete it with its Delete button (the page's one delete form)."""
    page.get_by_role("textbox", name="Comment").fill(text)
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator(".timeline li.comment", has_text=text)
    if confirm:  # the page asks first; saying no keeps the comment
        page.once("dialog", lambda dialog: dialog.dismiss())
        comment.get_by_role("button", name="Delete").click()
        page.wait_for_timeout(300)  # time for a wrongly sent form to arrive
        expect(comment).to_be_visible()
        page.once("dialog", lambda dialog: dialog.accept())
    comment.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").first).to_contain_text("The comment is deleted.")
    expect(page.locator(".timeline")).not_to_contain_text(text)


def test_a_newcomer_signs_up_and_works_an_issue_to_closed(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/")
    screenshot(page, "01-home")
    sign_up_and_verify(page, site, "grace")
    sign_in(page, "grace")
    screenshot(page, "02-dashboard-empty")
    create_project(page, "NAV", "Navigation")
    screenshot(page, "03-project-empty")

    page.get_by_role("link", name="Labels").click()
    page.get_by_label("Name").fill("bug")
    page.get_by_role("button", name="Create label").click()
    expect(page.get_by_role("status").first).to_contain_text("Label bug created")

    page.get_by_role("link", name="Issues").click()
    expect(page.get_by_role("button", name="Filter")).to_be_visible()  # the issue list, and
    page.wait_for_load_state()  # its script, which binds the shortcuts (a key sent earlier is lost)
    page.keyboard.press("c")  # the keyboard shortcut for a new issue
    expect(page.get_by_role("heading", level=1)).to_have_text("New issue")
    page.get_by_label("Title").fill("Compass points south")
    page.get_by_label("Description").fill(
        "It **always** points south.\n\n- [docs](https://example.org)"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#new-issue-preview strong")).to_have_text("always")
    screenshot(page, "04-new-issue-preview")
    page.get_by_role("button", name="Open issue").click()
    expect(page.locator(".markdown strong").first).to_have_text("always")

    page.get_by_label("Add a label").select_option("bug")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#issue-sidebar .label")).to_have_text("bug")
    page.get_by_label("Assign someone").select_option("grace")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#issue-sidebar")).to_contain_text("grace")
    page.get_by_role("textbox", name="Comment").fill("Found it: the magnet is `upside down`.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".timeline .markdown code")).to_have_text("upside down")
    delete_a_comment(page, "A typo, to delete.", confirm=True)
    page.get_by_label("Close as").select_option("completed")
    page.get_by_role("button", name="Close issue").click()
    expect(page.locator("#issue-status")).to_contain_text("Closed")
    screenshot(page, "05-issue-closed")

    page.goto("/projects/NAV")
    expect(page.get_by_text("No issues match.")).to_be_visible()  # open issues only, by default
    page.get_by_role("link", name="1 closed").click()
    page.get_by_label("Labels").fill("bug")
    page.get_by_label("Assignee").fill("grace")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"state=closed.*labels=bug.*assignee=grace"))
    expect(page.get_by_role("link", name="Compass points south")).to_be_visible()
    screenshot(page, "06-issue-list-filtered")
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"labels=bug"))


def test_a_forgotten_password_is_reset_from_the_email(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    sign_up_and_verify(page, site, "hopper")
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("hopper@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.goto(site.mailbox.link("hopper@example.com", "/reset-password"))
    screenshot(page, "07-reset-password")
    page.get_by_label("New password").fill("another fine passphrase")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status").first).to_contain_text("Your password is changed")
    sign_in(page, "hopper", "another fine passphrase")


def test_a_second_viewer_sees_a_comment_appear_live(
    chromium: Browser, context: BrowserContext, site: Site
) -> None:
    writer = context.new_page()
    sign_up_and_verify(writer, site, "lovelace")
    sign_in(writer, "lovelace")
    create_project(writer, "ENG", "Engine", public=True)
    open_issue(writer, "ENG", "Gears slip", "Under load.")

    viewer_context = chromium.new_context(base_url=site.url)  # a second person, signed out
    viewer_context.set_default_timeout(WAIT_MS)
    try:
        viewer = viewer_context.new_page()
        viewer.goto("/projects/ENG/issues/1")
        expect(viewer.locator("[data-live-issue]")).to_have_attribute(
            "data-live-state", "connected"
        )
        board = viewer_context.new_page()
        board.goto("/projects/ENG")

        writer.get_by_role("textbox", name="Comment").fill("Tightened the **belt**.")
        writer.get_by_role("button", name="Comment", exact=True).click()
        expect(viewer.locator(".timeline .markdown strong")).to_have_text("belt")  # no reload
        writer.get_by_label("Close as").select_option("not_planned")
        writer.get_by_role("button", name="Close issue").click()
        expect(viewer.locator("#issue-status")).to_contain_text("Closed (not planned)")
        screenshot(viewer, "08-live-comment-seen-by-second-viewer")
        expect(board.locator("[data-live-list]")).to_be_visible()
        expect(board.locator("[data-live-count]")).to_have_text("2")
        screenshot(board, "09-issue-list-new-updates")
    finally:
        viewer_context.close()


def test_everything_works_with_javascript_off(chromium: Browser, site: Site) -> None:
    context = chromium.new_context(base_url=site.url, java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        sign_up_and_verify(page, site, "turing")
        sign_in(page, "turing")
        create_project(page, "MAC", "Machine")
        page.goto("/projects/MAC/issues/new")
        page.get_by_label("Title").fill("Tape runs out")
        page.get_by_label("Description").fill("Needs _more_ tape")
        page.get_by_role("button", name="Preview").click()  # the server renders the preview
        expect(page.locator("#new-issue-preview em")).to_have_text("more")
        expect(page.get_by_label("Title")).to_have_value("Tape runs out")  # nothing typed is lost
        page.get_by_role("button", name="Open issue").click()
        page.get_by_role("textbox", name="Comment").fill("")
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.locator("#body-error")).to_be_visible()  # the message beside the field
        page.get_by_role("textbox", name="Comment").fill("Ordered a new reel.")
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.locator(".timeline")).to_contain_text("Ordered a new reel.")
        delete_a_comment(page, "Posted twice.", confirm=False)  # no confirm() without JavaScript
        page.get_by_role("button", name="Close issue").click()
        expect(page.locator("#issue-status")).to_contain_text("Closed")
        screenshot(page, "10-no-javascript-issue")
    finally:
        context.close()


def test_phone_screen_and_dark_mode_render_the_issue_list(chromium: Browser, site: Site) -> None:
    context = chromium.new_context(
        base_url=site.url, viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    try:
        page = context.new_page()
        page.goto("/projects")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways on a phone"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(13, 17, 23)", background
        screenshot(page, "11-phone-dark-projects")
    finally:
        context.close()


def test_the_api_docs_render_without_a_cdn_or_a_csp_violation(context: BrowserContext) -> None:
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on(
        "request",
        lambda request: problems.append(request.url) if "127.0.0.1" not in request.url else None,
    )
    page.goto("/docs")
    expect(page.get_by_text("/api/v1/projects/{key}/issues").first).to_be_visible()
    screenshot(page, "12-api-docs")
    assert problems == []
