// Text from a record is never markup, in Miro's modal: a card whose
// description ends its textarea and adds a refresh to another site (see
// support/hostile.ts), saved in the detail view or written on GitHub as an
// issue's body, opens from the board with the modal left where it was and
// the text exactly in the textarea, and saving keeps it exact.
import type { APIRequestContext, FrameLocator, Page } from "@playwright/test";
import {
  ROADMAP,
  boardCard,
  boardUrl,
  expect,
  openFromBoard,
  openPanel,
  test,
  watchProblems,
} from "./support/sandbox";
import {
  HOSTILE_DESCRIPTION,
  HOSTILE_TITLE,
  hostileCard,
  openedCard,
  removeCard,
  watchEvilSite,
} from "./support/hostile";

// They put cards on a shared board.
test.use({ sandboxAccess: "exclusive" });

const GITHUB = process.env.E2E_GITHUB_URL ?? "";
const REPOSITORY = "octo-org/roadmap";
// No other test changes this issue.
const ISSUE = 12;

/** The modal's frame is still the card's detail view, and no frame went elsewhere. */
function expectModalStayed(page: Page, itemId: string, evil: string[]): void {
  const urls = page.frames().map((frame) => frame.url());
  expect(urls.some((url) => url.includes(`/${itemId}?ticket=`)), urls.join("\n")).toBe(true);
  expect(urls.filter((url) => url.includes("evil.example"))).toEqual([]);
  expect(evil).toEqual([]);
}

/** Shows the description exactly, saves a new title, and shows it exactly again. */
async function editAndSave(page: Page, view: FrameLocator, itemId: string, newTitle: string): Promise<void> {
  await expect(view.locator("#description")).toHaveValue(HOSTILE_DESCRIPTION);
  await expect(view.locator("meta[http-equiv]")).toHaveCount(0);
  await expect(view.locator("textarea")).toHaveCount(1);
  await view.locator("#title").fill(newTitle);
  await view.getByTestId("save").click();
  await expect(view.getByTestId("save-status")).toHaveAttribute("data-state", "saved");
  await expect(view.locator("#description")).toHaveValue(HOSTILE_DESCRIPTION);
  await expect(boardCard(page, itemId).locator(".item-title")).toHaveText(newTitle);
}

async function reopened(request: APIRequestContext, itemId: string) {
  return (await openedCard(request, ROADMAP, itemId)).record.fields;
}

test("a card whose description closes its textarea opens in the modal as text and saves exactly", async ({
  page,
  request,
}) => {
  const problems = watchProblems(page);
  const evil = await watchEvilSite(page);
  const title = `${HOSTILE_TITLE} ${Date.now()}`;
  const itemId = await hostileCard(request, ROADMAP, title);
  try {
    await page.goto(boardUrl(ROADMAP));
    await expect(boardCard(page, itemId).locator(".item-title")).toHaveText(title);
    const view = await openFromBoard(page, itemId);
    await expect(view.locator("#title")).toHaveValue(title);
    expectModalStayed(page, itemId, evil);
    const saved = `Saved with hostile text ${Date.now()}`;
    await editAndSave(page, view, itemId, saved);
    expectModalStayed(page, itemId, evil);
    expect(await reopened(request, itemId)).toMatchObject({ title: saved, description: HOSTILE_DESCRIPTION });
  } finally {
    await removeCard(request, ROADMAP, itemId);
  }
  expect(problems).toEqual([]);
});

test("an issue body written on GitHub opens in the modal as text and saves exactly", async ({ page, request }) => {
  expect(GITHUB, "scripts/e2e sets E2E_GITHUB_URL").not.toBe("");
  test.setTimeout(60_000);
  const problems = watchProblems(page);
  const evil = await watchEvilSite(page);
  const title = `Hostile body from GitHub ${Date.now()}`;
  const edited = await request.post(`${GITHUB}/_standin/issues/${REPOSITORY}/${ISSUE}/edit`, {
    data: { title, body: HOSTILE_DESCRIPTION },
  });
  expect(edited.status(), await edited.text()).toBe(200);
  let itemId = "";
  try {
    const panel = await openPanel(page, ROADMAP);
    await panel.getByTestId("search-text").fill(title);
    await expect(async () => {
      await panel.getByTestId("search").click();
      await expect(panel.getByTestId("search-summary")).toHaveText("1 record matches.", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    const row = panel.getByTestId("result");
    await expect(row.locator(".board-card__description")).toContainText('</textarea><meta http-equiv="refresh"');
    await expect(panel.locator("meta[http-equiv]")).toHaveCount(0);
    await panel.getByTestId("select-all").click();
    await panel.getByTestId("add-cards").click();
    await expect(panel.locator('[data-testid="import-result"][data-outcome="added"]')).toHaveCount(1);
    const card = page.locator(".item", { hasText: title });
    await expect(card).toHaveCount(1);
    itemId = (await card.getAttribute("data-item-id")) ?? "";

    const view = await openFromBoard(page, itemId);
    await expect(view.locator("#title")).toHaveValue(title);
    expectModalStayed(page, itemId, evil);
    const saved = `${title}, saved`;
    await editAndSave(page, view, itemId, saved);
    expectModalStayed(page, itemId, evil);
    expect(await reopened(request, itemId)).toMatchObject({ title: saved, description: HOSTILE_DESCRIPTION });
  } finally {
    if (itemId) await removeCard(request, ROADMAP, itemId);
  }
  expect(problems).toEqual([]);
});
