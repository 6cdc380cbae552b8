// Opening a card's detail view takes a one-time ticket that the app's
// headless page gets for that card and user. What the server answers is
// checked in both projects: with JavaScript off this is exactly what a
// reader gets, and hydrated the page must stay as the server drew it.
import type { Page, Response } from "@playwright/test";
import {
  ROADMAP,
  cardPath,
  expect,
  issueTicket,
  ourConnectedCards,
  seededCard,
  test,
  watchProblems,
} from "./support/sandbox";

// A card whose title no test changes.
const title = "Payment provider migration";

// Chromium reports a document answered 401 on the console by itself.
const refusedDocument = [/the server responded with a status of 401/];

/** The page once the app has hydrated it (at once with JavaScript off). */
async function settled(page: Page, javaScript: boolean): Promise<void> {
  if (javaScript) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

async function expectRefused(page: Page, response: Response | null, javaScript: boolean): Promise<void> {
  expect(response?.status()).toBe(401);
  await settled(page, javaScript);
  await expect(page.getByTestId("open-error")).toBeVisible();
  await expect(page.getByTestId("open-error")).toHaveText(
    "This link to the card has expired or was already used. Open the card again from the board.",
  );
  await expect(page.getByTestId("retry")).toBeVisible();
  // Nothing of the card: no form, no preview, no text of it.
  await expect(page.getByTestId("card-editor")).toHaveCount(0);
  await expect(page.getByTestId("card-preview")).toHaveCount(0);
  await expect(page.locator("input, textarea, select")).toHaveCount(0);
  const html = (await response?.text()) ?? "";
  expect(html).not.toContain(title);
  expect(html).not.toContain("Move card payments");
  expect(await page.content()).not.toContain(title);
}

test("a forged ticket, or a ticket for another card, opens nothing", async ({ page, request }, testInfo) => {
  const javaScript = testInfo.project.use.javaScriptEnabled !== false;
  const problems = watchProblems(page, refusedDocument);
  const itemId = await seededCard(request, ROADMAP, title);

  await expectRefused(page, await page.goto(cardPath(ROADMAP, itemId, "forged")), javaScript);

  // A real ticket, but for another card on the same board.
  const another = (await ourConnectedCards(request, ROADMAP)).find((card) => card.id !== itemId);
  expect(another, "a second connected card of ours").toBeTruthy();
  const ticket = await issueTicket(request, ROADMAP, another!.id);
  await expectRefused(page, await page.goto(cardPath(ROADMAP, itemId, ticket)), javaScript);

  expect(problems).toEqual([]);
});

test("a ticket opens its card once; the same address again is refused", async ({
  page,
  context,
  request,
}, testInfo) => {
  const javaScript = testInfo.project.use.javaScriptEnabled !== false;
  const problems = watchProblems(page);
  const itemId = await seededCard(request, ROADMAP, title);
  const url = cardPath(ROADMAP, itemId, await issueTicket(request, ROADMAP, itemId));

  const first = await page.goto(url);
  expect(first?.status()).toBe(200);
  await expect(page.getByTestId("card-editor")).toBeVisible();
  await expect(page.locator("#title")).toHaveValue(title);
  await expect(page.getByTestId("preview-title")).toHaveText(title);
  await settled(page, javaScript);
  // Hydration keeps the card: it does not open it again with the spent ticket.
  await expect(page.locator("#title")).toHaveValue(title);
  await expect(page.getByTestId("open-error")).toHaveCount(0);
  // Saving needs the live view: without it the buttons stay disabled, and
  // the form could only ever post, never put the card's text in a URL.
  await expect(page.getByTestId("save")).toBeEnabled({ enabled: javaScript });
  await expect(page.getByTestId("card-editor")).toHaveAttribute("method", "post");

  const second = await context.newPage();
  const secondProblems = watchProblems(second, refusedDocument);
  await expectRefused(second, await second.goto(url), javaScript);

  expect(problems).toEqual([]);
  expect(secondProblems).toEqual([]);
});
