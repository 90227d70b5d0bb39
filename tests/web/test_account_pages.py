"""The account pages through the test client: PRG, inline errors, sign-in redirects, escaping."""

from __future__ import annotations

import pytest
from quart import Quart

from tests.web.helpers import PASSWORD, Browser, token_from_link

pytestmark = pytest.mark.web


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
    page = await browser.page("/dashboard")
    assert "Confirm your email address (ada@example.com)" in page
    response = await browser.submit("/dashboard", "/verify-email/resend?next=/dashboard")
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


async def make_admin(app: Quart, username: str) -> None:
    from sqlalchemy import update

    from quart_app.models import User

    async with app.extensions["db"].write_sessions() as session:
        await session.execute(update(User).where(User.username == username).values(is_admin=True))
        await session.commit()


async def test_an_admin_disables_and_enables_an_account_from_the_page(app: Quart) -> None:
    admin, member = new_browser(app), new_browser(app)
    await admin.sign_up_and_verify("boss")
    await member.sign_up_and_verify("ada")
    await make_admin(app, "boss")
    await admin.sign_in("boss")
    await member.sign_in("ada")
    page = await admin.page("/admin/users")
    ada_id = page.split("/admin/users/")[1].split("/disable")[0] if "ada@" in page else None
    assert ada_id is not None
    response = await admin.submit("/admin/users", f"/admin/users/{ada_id}/disable")
    assert response.status_code == 302
    assert "ada is disabled" in await admin.page("/admin/users")
    assert (await member.client.get("/settings")).status_code == 302  # signed out everywhere
    assert (await member.sign_in("ada")).status_code == 401
    await admin.submit("/admin/users", f"/admin/users/{ada_id}/enable")
    assert (await member.sign_in("ada")).status_code == 302


async def test_an_admin_cannot_disable_themselves(app: Quart) -> None:
    admin = new_browser(app)
    await admin.sign_up_and_verify("boss")
    await make_admin(app, "boss")
    await admin.sign_in("boss")
    async with app.app_context():
        from sqlalchemy import select

        from quart_app.models import User

        async with app.extensions["db"].read_sessions() as session:
            boss_id = await session.scalar(select(User.id).where(User.username == "boss"))
    response = await admin.submit("/admin/users", f"/admin/users/{boss_id}/disable")
    assert response.status_code == 302
    assert "You cannot disable your own account." in await admin.page("/admin/users")


async def test_changing_the_password_signs_other_browsers_out(app: Quart) -> None:
    laptop, phone = new_browser(app), new_browser(app)
    await laptop.sign_up_and_verify("ada")
    await laptop.sign_in("ada")
    await phone.sign_in("ada")
    wrong = await laptop.submit(
        "/settings",
        "/settings/password",
        current_password="nope",
        new_password="another passphrase",
    )
    assert wrong.status_code == 422
    assert "The current password is not correct." in await wrong.get_data(as_text=True)
    response = await laptop.submit(
        "/settings",
        "/settings/password",
        current_password=PASSWORD,
        new_password="another passphrase",
    )
    assert response.status_code == 302
    assert (await laptop.client.get("/settings")).status_code == 200
    assert (await phone.client.get("/settings")).status_code == 302


async def test_changing_the_email_sends_a_link_to_the_new_address(
    app: Quart, browser: Browser
) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    refused = await browser.submit(
        "/settings", "/settings/email", email="new@example.com", password="no"
    )
    assert refused.status_code == 422
    assert 'value="new@example.com"' in await refused.get_data(as_text=True)
    await browser.submit("/settings", "/settings/email", email="new@example.com", password=PASSWORD)
    token = token_from_link((await browser.emails_to("new@example.com"))[-1])
    assert "Confirm" in await browser.page(f"/confirm-email?token={token}")
    confirmed = await browser.submit("/settings", "/confirm-email", token=token)
    assert confirmed.status_code == 302
    assert "Now: new@example.com" in await browser.page("/settings")
    again = await browser.submit("/settings", "/confirm-email", token=token)
    assert again.status_code == 400


async def test_the_display_name_is_saved(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    response = await browser.submit("/settings", "/settings/profile", display_name="Ada Lovelace")
    assert response.status_code == 302
    assert 'value="Ada Lovelace"' in await browser.page("/settings")
    too_long = await browser.submit("/settings", "/settings/profile", display_name="x" * 101)
    assert too_long.status_code == 422


async def test_a_token_is_revoked_from_the_page(app: Quart, browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    created = await browser.submit(
        "/settings/tokens", "/settings/tokens", name="ci", scope="read_write"
    )
    secret = (await created.get_data(as_text=True)).split('<code class="secret">')[1].split("<")[0]
    listing = await browser.page("/settings/tokens")
    token_id = listing.split("/settings/tokens/")[1].split("/revoke")[0]
    await browser.submit("/settings/tokens", f"/settings/tokens/{token_id}/revoke")
    response = await app.test_client().get(
        "/api/v1/account", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401
    assert "No tokens yet." in await browser.page("/settings/tokens")


async def test_signing_this_browser_out_from_the_sessions_page(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    page = await browser.page("/settings/sessions")
    own_id = page.split('action="/settings/sessions/')[1].split("/revoke")[0]
    response = await browser.submit("/settings/sessions", f"/settings/sessions/{own_id}/revoke")
    assert response.status_code == 302
    assert (await browser.client.get("/settings")).status_code == 302


async def test_a_signed_in_visitor_of_the_sign_in_page_goes_on(browser: Browser) -> None:
    await browser.sign_up_and_verify("ada")
    await browser.sign_in("ada")
    response = await browser.client.get("/sign-in?next=/settings")
    assert response.headers["Location"] == "/settings"
    assert "Sign out" in await browser.page("/dashboard")
