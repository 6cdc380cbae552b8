// Installing the app into a Miro team, as a person meets it: the install
// the app starts, the one Miro starts from the app's settings, the pages
// for what can go wrong, and a board user without a connection opening a
// card, connecting from the modal, and the card opening.
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { Page } from "@playwright/test";
import { ROADMAP, boardCard, boardUrl, discover, expect, modalView, seededCard, test, watchProblems } from "./support/sandbox";

const installedPage = /\/sandbox\/app-install-completed\?client_id=\d+&team_id=\d+$/;

async function expectPage(page: Page, title: string | RegExp, message: RegExp): Promise<void> {
  await expect(page.getByTestId("page-title")).toHaveText(title);
  await expect(page.getByTestId("page-message")).toHaveText(message);
  // Every refusal offers the way forward.
  await expect(page.getByTestId("page-action")).toHaveAttribute("href", "/oauth/install");
}

test("an install started here ends on Miro's 'installed' page", async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto("/oauth/install");
  await expect(page).toHaveURL(installedPage);
  await expect(page.getByTestId("install-completed")).toContainText("is installed");
  expect(problems).toEqual([]);
});

test("an install Miro starts from the app's settings (no state) is accepted", async ({ page, request }) => {
  const sandbox = await discover(request);
  const authorize = new URL(sandbox.authorize_url);
  authorize.searchParams.set("response_type", "code");
  authorize.searchParams.set("client_id", sandbox.client_id);
  authorize.searchParams.set("redirect_uri", sandbox.redirect_uri);
  await page.goto(authorize.href);
  await expect(page).toHaveURL(installedPage);
});

test("a foreign state, a used code and a refusal each end on a page that says so", async ({ page, request }) => {
  // An answer this browser never asked for.
  const foreign = await page.goto("/oauth/callback?code=whatever&state=forged");
  expect(foreign?.status()).toBe(400);
  await expectPage(page, "This install was not started here", /not belong to an install this browser started/);
  // Starting again from there works.
  await page.getByTestId("page-action").click();
  await expect(page).toHaveURL(installedPage);

  // A code Miro gave once, used twice.
  const sandbox = await discover(request);
  const authorize = new URL(sandbox.authorize_url);
  authorize.searchParams.set("response_type", "code");
  authorize.searchParams.set("client_id", sandbox.client_id);
  authorize.searchParams.set("redirect_uri", sandbox.redirect_uri);
  const redirect = await request.get(authorize.href, { maxRedirects: 0 });
  const callback = new URL(redirect.headers()["location"] ?? "");
  await page.goto(callback.pathname + callback.search);
  await expect(page).toHaveURL(installedPage);
  const again = await page.goto(callback.pathname + callback.search);
  expect(again?.status()).toBe(400);
  await expectPage(page, "Miro did not accept this install", /already used or has expired/);

  // The user says no on Miro's page: Miro sends them back with an error
  // and the state. (The install is started through the page's own request
  // context, which shares the browser's cookies.)
  const started = await page.request.get("/oauth/install", { maxRedirects: 0 });
  expect(started.status()).toBe(303);
  const state = new URL(started.headers()["location"] ?? "").searchParams.get("state");
  expect(state, "the install's state").toBeTruthy();
  const denied = await page.goto(`/oauth/callback?error=access_denied&state=${encodeURIComponent(state!)}`);
  expect(denied?.status()).toBe(403);
  await expectPage(page, "The app was not installed", /chose not to allow the app/);
});

test.describe("a board user without a connection", () => {
  // The installation is taken away: no other test may run meanwhile.
  test.use({ sandboxAccess: "exclusive" });

  test("opens a card, connects from the modal, and the card opens", async ({ page, request }) => {
    test.setTimeout(60_000);
    const problems = watchProblems(page, [/status of 401 \(Unauthorized\)/]);
    const sandbox = await discover(request);
    // Revoke the installation, at the sandbox and in the app's store, the
    // way an operator would.
    const out = execFileSync(
      path.resolve(process.env.E2E_SERVER_BIN ?? "../target/debug/server"),
      ["installations", "revoke", sandbox.team_id, sandbox.user_id],
      {
        env: {
          PATH: process.env.PATH,
          MIRO_SANDBOX_URL: new URL("/", sandbox.authorize_url).origin,
          DATABASE_URL: `sqlite://${process.env.E2E_RUN_DIR}/app.db`,
        },
      },
    ).toString();
    expect(out).toContain("deleted the installation");

    const itemId = await seededCard(request, ROADMAP, "Payment provider migration");
    await page.goto(boardUrl(ROADMAP));
    await boardCard(page, itemId).locator('[data-action="open"]').click();
    const modal = modalView(page);
    await expect(modal.getByRole("heading")).toHaveText("Connect Miro Cards to Miro");
    await expect(modal.getByTestId("connect-status")).toContainText("opens Miro in a new window");

    const popupOpened = page.waitForEvent("popup");
    await modal.getByTestId("connect").click();
    const popup = await popupOpened;
    await expect(popup).toHaveURL(installedPage);
    await popup.close();

    // The modal opens the card by itself once the app is connected.
    await expect(modal.getByTestId("card-editor")).toBeVisible({ timeout: 15_000 });
    await expect(modal.locator("#title")).toHaveValue("Payment provider migration");
    await expect(modal.locator("body")).toHaveAttribute("data-hydrated", "true");
    expect(problems).toEqual([]);
  });
});
