// The GitHub connector as a user meets it: scripts/e2e runs a stand-in for
// GitHub beside the app (`server github-standin`), whose issues the app
// imported at start-up. An issue renamed "on GitHub" reaches the app by a
// signed webhook, is found in the panel, goes on the board as an app card,
// and the card follows the next change made on GitHub.
import type { APIRequestContext } from "@playwright/test";
import {
  ROADMAP,
  accessToken,
  boardChips,
  discover,
  expect,
  openFromBoard,
  openPanel,
  previewChips,
  test,
  watchProblems,
} from "./support/sandbox";

// It puts a card on a shared board.
test.use({ sandboxAccess: "exclusive" });

const GITHUB = process.env.E2E_GITHUB_URL ?? "";
const REPOSITORY = "octo-org/roadmap";

/** Changes issue `number` as someone on GitHub would (the stand-in then delivers the webhook). */
async function editOnGitHub(request: APIRequestContext, number: number, change: Record<string, string>) {
  const response = await request.post(`${GITHUB}/_standin/issues/${REPOSITORY}/${number}/edit`, { data: change });
  expect(response.status(), await response.text()).toBe(200);
}

/** Takes the app cards titled `title` off the board again. */
async function removeCards(request: APIRequestContext, boardId: string, title: string) {
  const sandbox = await discover(request);
  const headers = { authorization: `Bearer ${await accessToken(request, sandbox)}` };
  const board = `${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}`;
  const listing = (await (await request.get(`${board}/items?type=app_card&limit=50`, { headers })).json()) as {
    data: { id: string; data: { title: string } }[];
  };
  for (const card of listing.data.filter((c) => c.data.title.startsWith(title))) {
    await request.delete(`${board}/app_cards/${card.id}`, { headers });
  }
}

test("an issue renamed on GitHub is found in the panel, goes on the board, and its card follows GitHub", async ({
  page,
  request,
}) => {
  expect(GITHUB, "scripts/e2e sets E2E_GITHUB_URL").not.toBe("");
  test.setTimeout(60_000);
  const problems = watchProblems(page);
  const title = `Issue from GitHub ${Date.now()}`;
  await editOnGitHub(request, 7, { title });
  try {
    const panel = await openPanel(page, ROADMAP);
    await expect(panel.getByTestId("health-source")).toHaveAttribute("data-state", "connected");
    await expect(panel.getByTestId("health-source")).toHaveText("GitHub: connected");

    // The delivery may still be on its way: search until it has landed.
    await panel.getByTestId("search-text").fill(title);
    await expect(async () => {
      await panel.getByTestId("search").click();
      await expect(panel.getByTestId("search-summary")).toHaveText("1 record matches.", { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(panel.getByTestId("result").locator(".board-card__title")).toHaveText(title);

    await panel.getByTestId("select-all").click();
    await panel.getByTestId("add-cards").click();
    await expect(panel.locator('[data-testid="import-result"][data-outcome="added"]')).toHaveCount(1);
    await expect(page.locator(".item", { hasText: title })).toHaveCount(1);
    // The card shows the number; its detail view links back to it
    // and its live preview draws the same chip.
    const itemId = await page.locator(".item", { hasText: title }).getAttribute("data-item-id");
    expect(await boardChips(page, itemId ?? "")).toContain("#7");
    const view = await openFromBoard(page, itemId ?? "");
    await expect(view.getByTestId("source-link")).toHaveText(`${REPOSITORY}#7 on GitHub ↗`);
    await expect(view.getByTestId("source-link")).toHaveAttribute("href", /\/octo-org\/roadmap\/issues\/7$/);
    await expect(previewChips(view).filter({ hasText: "#7" })).toHaveCount(1);
    await page.locator('[data-action="close-modal"]').click();
    await expect(page.locator('iframe[data-role="modal"]')).toHaveCount(0);

    // Renamed again on GitHub: the card on the board follows.
    const renamed = `${title}, renamed on GitHub`;
    await editOnGitHub(request, 7, { title: renamed });
    await expect(page.locator(".item", { hasText: renamed })).toHaveCount(1, { timeout: 15_000 });
  } finally {
    await removeCards(request, ROADMAP, title);
  }
  expect(problems).toEqual([]);
});
