// A user on a slow network: the detail view's HTML arrives, the WASM does
// not yet. What they type meanwhile must survive hydration and be what
// Save saves, and nothing may send card text anywhere before the view is
// live (no GET form submission putting the fields into a URL).
import { ROADMAP, SPRINT, boardCard, boardUrl, expect, openFromBoard, seededCard, test, watchProblems } from "./support/sandbox";

test("what is typed before the WASM arrives is kept, and Save puts it on the board", async ({ page, request }) => {
  const problems = watchProblems(page);
  const itemId = await seededCard(request, SPRINT, "Write release notes");
  const typed = "Release notes for sprint 43";

  // The WASM is held back until two seconds have passed and the user has
  // typed, whichever comes later.
  let typingDone: () => void = () => {};
  const typedYet = new Promise<void>((resolve) => (typingDone = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await Promise.all([typedYet, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    await route.continue();
  });
  // Every URL the page asks for, to show that no card text is in one.
  const urls: string[] = [];
  page.on("request", (req) => urls.push(req.url()));

  await page.goto(boardUrl(SPRINT));
  const card = boardCard(page, itemId);
  await expect(card.locator(".item-title")).toHaveText("Write release notes");
  const view = await openFromBoard(page, itemId, { hydrated: false });
  await expect(view.locator("body")).not.toHaveAttribute("data-hydrated");

  // Not live yet: the buttons wait, and say so.
  const status = view.getByTestId("save-status");
  await expect(status).toHaveAttribute("data-state", "loading");
  await expect(status).toContainText("Loading the editor");
  await expect(view.getByTestId("save")).toBeDisabled();
  await expect(view.getByTestId("save-and-close")).toBeDisabled();

  await view.locator("#title").fill(typed);
  await view.locator("#description").fill("Faster imports; **fewer** clicks.");
  await view.locator("#status").selectOption("in_progress");
  // Enter in a field submits nothing while the view is not live.
  await view.locator("#title").press("Enter");
  typingDone();

  await expect(view.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(view.locator("#title")).toHaveValue(typed);
  await expect(view.locator("#description")).toHaveValue("Faster imports; **fewer** clicks.");
  await expect(view.locator("#status")).toHaveValue("in_progress");
  // The editor took the typing as its own: preview, state and buttons.
  await expect(view.getByTestId("preview-title")).toHaveText(typed);
  await expect(view.getByTestId("preview-description").locator("strong")).toHaveText("fewer");
  await expect(status).toHaveText("Unsaved changes");
  await expect(view.getByTestId("save")).toBeEnabled();

  await view.getByTestId("save").click();
  await expect(status).toHaveAttribute("data-state", "saved");
  await expect(card.locator(".item-title")).toHaveText(typed);
  await expect(card.locator(".field-chip .field-value").first()).toHaveText("In progress");

  const leaked = urls.filter((url) => /release|sprint%2043|sprint\+43|fewer/i.test(decodeURIComponent(url)));
  expect(leaked, "card text in a URL").toEqual([]);
  expect(problems).toEqual([]);
});

test("before the WASM is live, no button sends anything", async ({ page, request }) => {
  const title = "Payment provider migration";
  const itemId = await seededCard(request, ROADMAP, title);
  // The WASM never arrives in this test.
  await page.route("**/pkg/*.wasm", (route) => route.abort());
  const documents: string[] = [];
  page.on("request", (req) => {
    if (req.resourceType() === "document") documents.push(`${req.method()} ${req.url()}`);
  });
  await page.goto(boardUrl(ROADMAP));
  const view = await openFromBoard(page, itemId, { hydrated: false });
  const opened = documents.length;

  await view.locator("#title").fill("Never sent");
  for (const id of ["save", "save-and-close"]) {
    await view.getByTestId(id).click({ force: true });
  }
  await view.locator("#title").press("Enter");
  await page.waitForTimeout(500);
  expect(documents.slice(opened), "navigations after opening").toEqual([]);
  await expect(view.locator("#title")).toHaveValue("Never sent");
  await expect(boardCard(page, itemId).locator(".item-title")).toHaveText(title);
});
