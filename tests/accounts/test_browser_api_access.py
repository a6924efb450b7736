"""The API access page in a real headless Chromium: on a 390 px phone it does not scroll sideways (a user trial
found it 466 px wide, pushed out by the tokens table), nor at 1280 px; a revoked token's row is greyed and says so."""

import pytest

from accounts import services
from accounts.models import ApiToken
from tests.browser import BROWSER_TEST, assert_fits, screenshot
from tests.factories import PASSWORD, IntegratorFactory, token_for

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("width", [390, 1280])
def test_the_api_access_page_fits_the_screen_with_a_new_token_and_several_old_ones(browser, live_server, width):
    integrator = IntegratorFactory()
    for _ in range(3):
        key = token_for(integrator)
    services.api_token_revoke(user=integrator, token_id=ApiToken.objects.get(prefix=key[:8]).pk)
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/?next=/api-access/")
    page.fill("input[name=login]", integrator.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/api-access/")
    page.fill("input[name=name]", "nightly export to the shop's catalogue service")
    page.click("button[name=create]")
    page.wait_for_selector("#api-token")
    screenshot(page, f"api-access-{width}")
    assert page.locator("table.tokens tbody tr").count() == 4
    assert_fits(page)
    revoked = page.locator("table.tokens tr.revoked")
    assert revoked.count() == 1 and revoked.locator(".token-revoked").inner_text() == "Revoked"
    live_colour = page.locator("table.tokens tbody tr:not(.revoked) td").first.evaluate("e => getComputedStyle(e).color")
    assert revoked.locator("td").first.evaluate("e => getComputedStyle(e).color") != live_colour  # greyed
