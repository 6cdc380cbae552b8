// Text from a record is never markup: a description that ends its
// textarea and adds a refresh to another site (see support/hostile.ts) is
// shown as exactly that text by the page the server sends, with
// JavaScript (hydrated) and without, and adds nothing to the page: no
// element, no navigation, the page's own title and data intact.
import { ROADMAP, cardPath, expect, issueTicket, test, watchProblems } from "./support/sandbox";
import {
  HOSTILE_DESCRIPTION,
  HOSTILE_TITLE,
  hostileCard,
  removeCard,
  watchEvilSite,
} from "./support/hostile";

// It puts a card on a shared board.
test.use({ sandboxAccess: "exclusive" });

test("a description that closes its textarea is shown as that text and adds nothing to the page", async ({
  page,
  request,
}, testInfo) => {
  const javaScript = testInfo.project.use.javaScriptEnabled !== false;
  const problems = watchProblems(page);
  const evil = await watchEvilSite(page);
  const title = `${HOSTILE_TITLE} ${Date.now()}`;
  const itemId = await hostileCard(request, ROADMAP, title);
  try {
    const url = cardPath(ROADMAP, itemId, await issueTicket(request, ROADMAP, itemId));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    if (javaScript) await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

    await expect(page.locator("#description")).toHaveValue(HOSTILE_DESCRIPTION);
    await expect(page.locator("#title")).toHaveValue(title);
    await expect(page.getByTestId("preview-description")).toContainText('</textarea><meta http-equiv="refresh"');
    await expect(page.getByTestId("preview-title")).toHaveText(title);
    // Nothing of it became an element.
    await expect(page.locator("meta[http-equiv]")).toHaveCount(0);
    await expect(page.locator("textarea")).toHaveCount(1);
    await expect(page.locator("img:not(.chip__icon)")).toHaveCount(0);
    await expect(page.locator("b")).toHaveCount(0);
    expect(await page.title()).toBe("Miro Cards");
    // The data the page hydrates with is whole.
    const data = JSON.parse((await page.locator("#card-view-data").textContent()) ?? "null") as {
      result: { Ok: { record: { fields: { description: string } } } };
    };
    expect(data.result.Ok.record.fields.description).toBe(HOSTILE_DESCRIPTION);
    // Still here, and never sent elsewhere.
    expect(page.url()).toContain(`/cards/${encodeURIComponent(ROADMAP)}/${itemId}`);
    await expect(page.locator("#description")).toHaveValue(HOSTILE_DESCRIPTION);
    expect(evil).toEqual([]);
  } finally {
    await removeCard(request, ROADMAP, itemId);
  }
  expect(problems).toEqual([]);
});
