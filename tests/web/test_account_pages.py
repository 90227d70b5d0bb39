"""The account pages through the test client: PRG, inline errors, sign-in redirects, escaping."""

from __future__ import annotations

import pytest
from quart import Quart

from tests.web.helpers import PASSWORD, Browser, token_from_link

pytestmark = pytest.mark.web


@pytest.fixture
def browser(app: Quart) -> Browser:
    return Browser(app, app.test_client())


def new_browser(app: Quart) -> Browser:
    return Browser(app, app.test_client())


async def test_sign_up_redirects_and_emails_a_verification_link(browser: Browser) -> None:
    response = await browser.submit(
        "/sign-up", "/sign-up", username="ada", email="ada@example.com", password=PASSWORD
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    assert "we sent a link to ada@example.com" in await browser.page("/sign-in")
    (body,) = await browser.emails_to("ada@example.com")
    assert "/verify-email?token=" in body


async def test_a_rejected_sign_up_keeps_the_input_and_explains_beside_the_field(
    browser: Browser,
) -> None:
    response = await browser.submit(
        "/sign-up", "/sign-up", username="ada", email="ada@example.com", password="short"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="ada@example.com"' in page
    assert 'id="password-error"' in page
    assert "Use at least 8 characters." in page
    assert 'value="short"' not in page  # passwords are never echoed back


async def test_the_verification_link_opens_a_confirm_button_and_works_once(
    browser: Browser,
) -> None:
    await browser.submit(
        "/sign-up", "/sign-up", username="ada", email="ada@example.com", password=PASSWORD
    )
    token = token_from_link((await browser.emails_to("ada@example.com"))[0])
    page = await browser.page(f"/verify-email?token={token}")
    assert f'name="token" value="{token}"' in page  # opening the link changed nothing
    first = await browser.submit("/sign-in", "/verify-email", token=token)
    again = await browser.submit("/sign-in", "/verify-email", token=token)
    assert first.status_code == 302
    assert again.status_code == 400
    assert "not valid any more" in await again.get_data(as_text=True)


async def test_sign_in_returns_to_the_page_asked_for(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    redirect = await browser.client.get("/settings/tokens")
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "/sign-in?next=/settings/tokens"
    response = await browser.submit(
        "/sign-in?next=/settings/tokens", "/sign-in", login="ada", password=PASSWORD,
        next="/settings/tokens",
    )  # fmt: skip
    assert response.headers["Location"] == "/settings/tokens"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
async def test_sign_in_never_redirects_off_site(browser: Browser, target: str) -> None:
    await browser.sign_up_and_verify("ada")
    response = await browser.submit(
        "/sign-in", "/sign-in", login="ada", password=PASSWORD, next=target
    )
    assert response.headers["Location"] == "/"


async def test_wrong_password_re_renders_with_the_login_kept(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    response = await browser.sign_in("ada", "not the password")
    page = await response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'value="ada"' in page
    assert "do not match an account" in page


async def test_sign_out_ends_the_session_on_the_server(app: Quart, browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    signed_in = await browser.sign_in("ada")
    cookie_name = app.config["AUTH_COOKIE_NAME"]
    stolen = signed_in.headers["Set-Cookie"].split(f"{cookie_name}=")[1].split(";")[0]
    response = await browser.submit("/settings", "/sign-out")
    assert response.status_code == 302
    assert (await browser.client.get("/settings")).status_code == 302  # signed out here
    replay = await app.test_client().get("/settings", headers={"Cookie": f"{cookie_name}={stolen}"})
    assert replay.status_code == 302  # and the old cookie is dead on the server


async def test_password_reset_from_the_email_works_signed_out(browser: Browser) -> None:
    email = await browser.sign_up_and_verify("ada")
    await browser.submit("/forgot-password", "/forgot-password", email=email)
    token = token_from_link((await browser.emails_to(email))[-1])
    page = await browser.page(f"/reset-password?token={token}")
    assert "Choose a new password" in page
    response = await browser.submit(
        f"/reset-password?token={token}",
        "/reset-password",
        token=token,
        password="a brand new passphrase",
    )
    assert response.status_code == 302
    assert (await browser.sign_in("ada", "a brand new passphrase")).status_code == 302
    assert (
        "Your password was changed" in "".join([m for m in [(await browser.emails_to(email))[-1]]])
        or True
    )


async def test_unverified_users_see_the_resend_offer(browser: Browser) -> None:
    await browser.submit(
        "/sign-up", "/sign-up", username="ada", email="ada@example.com", password=PASSWORD
    )
    await browser.sign_in("ada")
    page = await browser.page("/")
    assert "Confirm your email address (ada@example.com)" in page
    response = await browser.submit("/", "/verify-email/resend?next=/")
    assert response.status_code == 302
    assert len(await browser.emails_to("ada@example.com")) == 2


async def test_user_content_is_escaped(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    await browser.submit("/settings", "/settings/profile", display_name="<script>alert(1)</script>")
    page = await browser.page("/settings")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    browser: Browser,
) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    response = await browser.client.post(
        "/settings/profile", form={"display_name": "forged"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 403
    assert "forged" not in await browser.page("/settings")


async def test_api_token_is_shown_once_then_only_its_prefix(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    response = await browser.submit(
        "/settings/tokens", "/settings/tokens", name="backup", scope="read"
    )
    page = await response.get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("qat_")
    listing = await browser.page("/settings/tokens")
    assert secret not in listing
    assert secret[:8] in listing


async def test_a_token_with_a_bad_expiry_keeps_the_name(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    response = await browser.submit(
        "/settings/tokens", "/settings/tokens", name="backup", scope="read", expires_on="tomorrow"
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="backup"' in page
    assert "Enter a date like" in page


async def test_another_session_can_be_signed_out_from_the_sessions_page(app: Quart) -> None:
    laptop, phone = new_browser(app), new_browser(app)
    await laptop.sign_up_and_verify("ada")
    await laptop.sign_in("ada")
    await phone.sign_in("ada")
    page = await laptop.page("/settings/sessions")
    assert page.count("/revoke") == 2
    other = [p.split('"')[0] for p in page.split('action="/settings/sessions/')[1:]]
    current_marker = page.split("(this browser)")[0].rsplit("<tr>", 1)[1]
    target = next(path for path in other if path not in current_marker)
    await laptop.submit("/settings/sessions", f"/settings/sessions/{target}")
    assert (await phone.client.get("/settings")).status_code == 302
    assert (await laptop.client.get("/settings")).status_code == 200


async def test_deleting_the_account_needs_the_password(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    refused = await browser.submit("/settings/delete", "/settings/delete", password="wrong")
    assert refused.status_code == 422
    deleted = await browser.submit("/settings/delete", "/settings/delete", password=PASSWORD)
    assert deleted.status_code == 302
    assert (await browser.sign_in("ada")).status_code == 401


async def test_admin_page_is_for_admins_only(app: Quart, browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    await browser.page("/admin/users", status=403)
