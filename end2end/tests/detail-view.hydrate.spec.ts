// The card detail view as a user meets it on a board: opened from the
// sandbox board's card, in Miro's modal, and hydrated. Every test drives
// the real flow (board -> headless page -> ticket -> modal) and checks the
// board outside the modal, in the same document, without reloading it.
//
// The tests share one server and may run in parallel, so each test that
// changes a record has a seeded card of its own, picked by its seeded
// title; "Checkout redesign" is sandbox-board.hydrate.spec.ts's, and
// "Payment provider migration" is shared by the tests that keep its title
// (the read-only ones, and the fault test, which runs alone).
import type { Page, TestInfo } from "@playwright/test";
import {
  ROADMAP,
  SPRINT,
  accessToken,
  boardCard,
  boardChips,
  boardUrl,
  cardWrites,
  discover,
  expect,
  getAppCard,
  openFromBoard,
  plainText,
  previewChips,
  seededCard,
  setFaults,
  shownVersion,
  test,
  watchProblems,
} from "./support/sandbox";

type Flagged = { sameDocument?: boolean };

/** Marks the board's document, to check later that it was never reloaded. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as Flagged).sameDocument = true));
}

async function expectSameDocument(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as Flagged).sameDocument)).toBe(true);
}

/** Saves a screenshot in the test's output folder and attaches it to the report. */
async function keepScreenshot(
  testInfo: TestInfo,
  name: string,
  take: (path: string) => Promise<unknown>,
): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await take(path);
  await testInfo.attach(name, { path, contentType: "image/png" });
}

const modalFrame = (page: Page) => page.locator('iframe[data-role="modal"]');

test("the server's HTML already holds the card, and hydration makes the view live", async ({
  page,
  request,
}) => {
  const problems = watchProblems(page);
  const title = "Payment provider migration";
  const itemId = await seededCard(request, ROADMAP, title);

  // Hold the WASM back: until it is released, none of the view's code runs.
  let releaseWasm: () => void = () => {};
  const wasmHeld = new Promise<void>((resolve) => (releaseWasm = resolve));
  await page.route("**/pkg/*.wasm", async (route) => {
    await wasmHeld;
    await route.continue();
  });

  await page.goto(boardUrl(ROADMAP));
  const card = boardCard(page, itemId);
  await expect(card.locator(".item-title")).toHaveText(title);
  const chips = await boardChips(page, itemId);
  expect(chips, "the seeded card's chips").toEqual(expect.arrayContaining(["Medium", "Alex"]));

  const documentLoaded = page.waitForResponse(
    (response) =>
      response.request().resourceType() === "document" && new URL(response.url()).pathname.startsWith("/cards/"),
  );
  const view = await openFromBoard(page, itemId, { hydrated: false });

  // What the server sent: the card's data is in the HTML itself.
  const response = await documentLoaded;
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain('data-testid="card-editor"');
  expect(html).toContain(`value="${title}"`);
  expect(html).toMatch(new RegExp(`data-testid="preview-title"[^>]*>(<[^>]*>)*${title}`));

  // And what the modal shows before any script of the app has run.
  await expect(view.locator("body")).not.toHaveAttribute("data-hydrated");
  await expect(view.locator("#title")).toHaveValue(title);
  await expect(view.getByTestId("preview-title")).toHaveText(title);
  await expect(previewChips(view)).toHaveText(chips);
  await expect(view.getByTestId("version")).toHaveText(/^Version \d+$/);
  // Saving waits for the live view, and says so.
  await expect(view.getByTestId("save-status")).toHaveAttribute("data-state", "loading");
  await expect(view.getByTestId("save")).toBeDisabled();
  // The stylesheet is applied: the preview is as wide as Miro's card.
  await expect(view.getByTestId("card-preview")).toHaveCSS("width", "320px");

  releaseWasm();
  await expect(view.locator("body")).toHaveAttribute("data-hydrated", "true");

  // Hydrated, the same markup now reacts: typing redraws the preview.
  await expect(view.locator("#title")).toHaveValue(title);
  await expect(view.getByTestId("save-status")).toHaveAttribute("data-state", "idle");
  await expect(view.getByTestId("save")).toBeEnabled();
  await view.locator("#title").fill(`${title} (draft)`);
  await expect(view.getByTestId("preview-title")).toHaveText(`${title} (draft)`);
  await expect(view.getByTestId("save-status")).toHaveText("Unsaved changes");

  // Leave without saving, through the board's own close button.
  await page.locator('[data-action="close-modal"]').click();
  await expect(modalFrame(page)).toHaveCount(0);
  await expect(card.locator(".item-title")).toHaveText(title);
  expect(problems).toEqual([]);
});

test("edits show in the live preview, and Save and Ctrl+S put them on the board without a reload", async ({
  page,
  request,
}, testInfo) => {
  const problems = watchProblems(page);
  const itemId = await seededCard(request, SPRINT, "Fix login timeout");
  await page.goto(boardUrl(SPRINT));
  const card = boardCard(page, itemId);
  await expect(card.locator(".item-title")).toHaveText("Fix login timeout");
  await expect(card.locator(".field-chip .field-value")).toHaveText(["To do", "Urgent", "Bug"]);
  await markDocument(page);

  const view = await openFromBoard(page, itemId);
  const version = await shownVersion(view);
  const status = view.getByTestId("save-status");
  await expect(status).toHaveAttribute("data-state", "idle");
  await expect(status).toHaveText("");
  await expect(view.locator("#title")).toHaveValue("Fix login timeout");
  await expect(previewChips(view)).toHaveText(["To do", "Urgent", "Bug"]);

  // Title, status and a preview field: the preview follows each keystroke.
  await view.locator("#title").fill("Fix login timeout on Safari");
  await expect(view.getByTestId("preview-title")).toHaveText("Fix login timeout on Safari");
  await expect(status).toHaveText("Unsaved changes");
  await view.locator("#status").selectOption("in_progress");
  await expect(previewChips(view)).toHaveText(["In progress", "Urgent", "Bug"]);
  await expect(view.locator("#preview-0-value")).toHaveValue("Urgent");
  await view.locator("#preview-0-value").fill("Critical");
  await view.locator("#preview-0-fill_color").fill("#FFD02F");
  await expect(previewChips(view)).toHaveText(["In progress", "Critical", "Bug"]);
  const previewChip = view.getByTestId("card-preview").locator(".chip", { hasText: "Critical" });
  await expect(previewChip).toHaveCSS("background-color", "rgb(255, 208, 47)");
  // Nothing is written before Save.
  await expect(card.locator(".item-title")).toHaveText("Fix login timeout");

  await view.getByTestId("save").click();
  await expect(status).toHaveAttribute("data-state", "saved");
  await expect(status).toHaveText("Saved. The board shows it now.");
  await expect(view.getByTestId("version")).toHaveText(`Version ${version + 1}`);

  // The board (outside the modal) redraws the card in place.
  await expect(card.locator(".item-title")).toHaveText("Fix login timeout on Safari");
  await expect(card.locator(".field-chip .field-value")).toHaveText(["In progress", "Critical", "Bug"]);
  await expect(card.locator(".field-chip", { hasText: "Critical" })).toHaveCSS(
    "background-color",
    "rgb(255, 208, 47)",
  );
  await expectSameDocument(page);
  await view.getByTestId("card-preview").scrollIntoViewIfNeeded();
  await keepScreenshot(testInfo, "detail-view-saved", (path) => modalFrame(page).screenshot({ path }));

  // Ctrl+S saves from the keyboard; Markdown becomes the HTML Miro keeps.
  await view.locator("#description").fill("Sessions expire after **5 minutes** on Safari and iOS.");
  await expect(view.getByTestId("preview-description").locator("strong")).toHaveText("5 minutes");
  await expect(status).toHaveText("Unsaved changes");
  await view.locator("#description").press("Control+s");
  await expect(status).toHaveAttribute("data-state", "saved");
  await expect(view.getByTestId("version")).toHaveText(`Version ${version + 2}`);
  await expect(card.locator(".item-description")).toHaveText("Sessions expire after 5 minutes on Safari and iOS.");
  await expect(card.locator(".item-description strong")).toHaveText("5 minutes");

  // Esc closes the view (nothing unsaved: no question asked).
  await view.locator("#title").press("Escape");
  await expect(modalFrame(page)).toHaveCount(0);
  await expect(card.locator(".item-title")).toHaveText("Fix login timeout on Safari");
  await expectSameDocument(page);
  await card.scrollIntoViewIfNeeded();
  await keepScreenshot(testInfo, "board-after-save", (path) => page.screenshot({ path }));
  expect(problems).toEqual([]);
});

test("when someone else saved first, the conflict view keeps what the user picks per field", async ({
  page,
  browser,
  request,
  baseURL,
}, testInfo) => {
  // The refused save is an HTTP error, which Chromium reports on the console
  // by itself; a conflict must be answered 409 (checked below), not 500.
  const problems = watchProblems(page, [/status of 409 \(Conflict\)/]);
  const itemId = await seededCard(request, SPRINT, "Add CSV import");
  await page.goto(boardUrl(SPRINT));
  const card = boardCard(page, itemId);
  await markDocument(page);
  const mine = await openFromBoard(page, itemId);
  const base = await shownVersion(mine);

  // Someone else, in another browser, opens the same card and saves first.
  const other = await browser.newContext({ baseURL });
  try {
    const theirPage = await other.newPage();
    const theirProblems = watchProblems(theirPage);
    await theirPage.goto(boardUrl(SPRINT));
    const theirs = await openFromBoard(theirPage, itemId);
    await expect(theirs.getByTestId("version")).toHaveText(`Version ${base}`);
    await theirs.locator("#title").fill("Import records from CSV");
    await theirs.locator("#description").fill("Upload a CSV file; one record per row.");
    await theirs.getByTestId("save").click();
    await expect(theirs.getByTestId("save-status")).toHaveAttribute("data-state", "saved");
    expect(theirProblems).toEqual([]);
  } finally {
    await other.close();
  }
  await expect(card.locator(".item-title")).toHaveText("Import records from CSV");

  // Meanwhile I changed the title and the status, from the old version.
  await mine.locator("#title").fill("Add CSV and JSON import");
  await mine.locator("#status").selectOption("in_review");
  const refusal = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/save_card");
  await mine.getByTestId("save").click();
  const status = mine.getByTestId("save-status");
  await expect(status).toHaveAttribute("data-state", "conflict");
  const conflict = mine.getByTestId("conflict");
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText(`version ${base + 1}`);
  expect.soft((await refusal).status(), "a conflict is not a server error").toBe(409);

  // One choice per differing part; each starts on mine only where they
  // left the part as it was.
  await expect(conflict.locator("fieldset")).toHaveCount(3);
  const part = (key: string) => mine.getByTestId(`conflict-${key}`);
  const choice = (key: string, side: "theirs" | "ours") => part(key).locator(`input[type="radio"][value="${side}"]`);
  await expect(part("title")).toContainText("Import records from CSV");
  await expect(part("title")).toContainText("Add CSV and JSON import");
  await expect(part("description")).toContainText("Upload a CSV file; one record per row.");
  await expect(part("status")).toContainText("In review");
  await expect(choice("title", "theirs")).toBeChecked();
  await expect(choice("description", "theirs")).toBeChecked();
  await expect(choice("status", "ours")).toBeChecked();
  await keepScreenshot(testInfo, "detail-view-conflict", (path) => modalFrame(page).screenshot({ path }));

  // Keep my title and status, and their description.
  await choice("title", "ours").check();
  await expect(choice("title", "theirs")).not.toBeChecked();
  await mine.getByTestId("resolve").click();
  await expect(status).toHaveAttribute("data-state", "saved");
  await expect(conflict).toHaveCount(0);
  await expect(mine.getByTestId("version")).toHaveText(`Version ${base + 2}`);
  await expect(mine.locator("#title")).toHaveValue("Add CSV and JSON import");
  await expect(mine.locator("#description")).toHaveValue("Upload a CSV file; one record per row.");
  await expect(mine.locator("#status")).toHaveValue("in_review");

  // The board and Miro's REST API have the merged record.
  await expect(card.locator(".item-title")).toHaveText("Add CSV and JSON import");
  await expect(card.locator(".item-description")).toHaveText("Upload a CSV file; one record per row.");
  await expect(card.locator(".field-chip .field-value").first()).toHaveText("In review");
  await expectSameDocument(page);
  const sandbox = await discover(request);
  const token = await accessToken(request, sandbox);
  const stored = await getAppCard(request, sandbox, token, SPRINT, itemId);
  expect(plainText(stored.data?.title)).toBe("Add CSV and JSON import");
  expect(plainText(stored.data?.description)).toBe("Upload a CSV file; one record per row.");
  expect(stored.data?.fields?.map((field) => field.value)).toEqual(["In review", "Medium"]);
  expect(problems).toEqual([]);
});

test("invalid input shows each field's error, and Save writes nothing", async ({ page, request }) => {
  const problems = watchProblems(page);
  const title = "Payment provider migration";
  const itemId = await seededCard(request, ROADMAP, title);
  await page.goto(boardUrl(ROADMAP));
  const card = boardCard(page, itemId);
  await expect(card.locator(".item-title")).toHaveText(title);
  const chips = await boardChips(page, itemId);
  const view = await openFromBoard(page, itemId);
  const version = await shownVersion(view);
  const fillColor = await view.locator("#preview-0-fill_color").inputValue();
  const writesBefore = await cardWrites(request, itemId);

  const fields = [
    { id: "title", value: "", error: /title/i },
    { id: "preview-0-fill_color", value: "red", error: /#1A2B3C/ },
    { id: "preview-0-icon_url", value: "http://example.com/icon.png", error: /https/i },
  ];
  for (const { id } of fields) {
    await expect(view.getByTestId(`error-${id}`)).toBeEmpty();
    await expect(view.locator(`#${id}`)).toHaveAttribute("aria-invalid", "false");
  }
  for (const { id, value, error } of fields) {
    await view.locator(`#${id}`).fill(value);
    await expect(view.getByTestId(`error-${id}`)).toHaveText(error);
    await expect(view.locator(`#${id}`)).toHaveAttribute("aria-invalid", "true");
  }
  // The preview never takes the refused values: no red, no http icon.
  const firstChip = view.getByTestId("card-preview").locator(".chip").nth(1);
  await expect(firstChip).not.toHaveCSS("background-color", "rgb(255, 0, 0)");
  await expect(firstChip.locator("img")).toHaveCount(0);

  const status = view.getByTestId("save-status");
  await view.getByTestId("save").click();
  await expect(status).toHaveAttribute("data-state", "invalid");
  await expect(status).toHaveText("Not saved: 3 fields to fix.");
  await view.getByTestId("save-and-close").click();
  await expect(status).toHaveAttribute("data-state", "invalid");
  await expect(modalFrame(page)).toHaveCount(1);
  await view.locator("#preview-0-value").press("Control+s");
  await expect(status).toHaveAttribute("data-state", "invalid");
  await expect(view.getByTestId("version")).toHaveText(`Version ${version}`);

  // Nothing reached Miro, and the board shows the card as it was.
  expect(await cardWrites(request, itemId)).toEqual(writesBefore);
  await expect(card.locator(".item-title")).toHaveText(title);
  expect(await boardChips(page, itemId)).toEqual(chips);

  // Closing asks before dropping the edits; reopened, the record is unchanged.
  const questions: string[] = [];
  page.once("dialog", (dialog) => {
    questions.push(dialog.message());
    void dialog.accept();
  });
  await view.getByRole("button", { name: "Close", exact: true }).click();
  await expect(modalFrame(page)).toHaveCount(0);
  expect(questions).toEqual(["Discard your unsaved edits?"]);
  const again = await openFromBoard(page, itemId);
  await expect(again.getByTestId("version")).toHaveText(`Version ${version}`);
  await expect(again.locator("#title")).toHaveValue(title);
  await expect(again.locator("#preview-0-fill_color")).toHaveValue(fillColor);
  await expect(again.getByTestId("error-title")).toBeEmpty();
  expect(problems).toEqual([]);
});

test.describe("while Miro fails card writes", () => {
  // The fault plan is global: this test has the sandbox to itself.
  test.use({ sandboxAccess: "exclusive" });

  test("a save answers 'Saved, syncing' and the board catches up once Miro recovers", async ({
    page,
    request,
  }, testInfo) => {
    // Up to 3 s for the save's push, then the outbox's backoff after recovery.
    test.setTimeout(90_000);
    const problems = watchProblems(page);
    const itemId = await seededCard(request, ROADMAP, "Payment provider migration");
    await page.goto(boardUrl(ROADMAP));
    const card = boardCard(page, itemId);
    const description = card.locator(".item-description");
    const before = await description.innerText();
    await markDocument(page);
    const view = await openFromBoard(page, itemId);
    const version = await shownVersion(view);
    const after = "Move card payments to the new provider before the end of the quarter.";
    await view.locator("#description").fill(after);

    // Every write of a card is refused with 409 (only card PATCHes are).
    const earlier = (await cardWrites(request, itemId)).length;
    await setFaults(request, { rate_409: 1.0 });
    await view.getByTestId("save").click();
    const status = view.getByTestId("save-status");
    await expect(status).toHaveAttribute("data-state", "syncing", { timeout: 15_000 });
    await expect(status).toContainText("Saved, syncing");
    await expect(view.getByTestId("version")).toHaveText(`Version ${version + 1}`);
    const refused = (await cardWrites(request, itemId)).slice(earlier);
    expect(refused.length, "the app tried to write the card").toBeGreaterThan(0);
    expect(refused.filter((code) => code !== 409)).toEqual([]);
    await expect(description).toHaveText(before);

    // Miro recovers: the outbox worker's retry brings the board up to date.
    await setFaults(request, {});
    await expect(description).toHaveText(after, { timeout: 40_000 });
    expect((await cardWrites(request, itemId)).slice(earlier)).toContain(200);
    await expectSameDocument(page);
    await keepScreenshot(testInfo, "board-after-syncing", (path) => page.screenshot({ path }));

    // The view, reopened, has the saved version.
    await page.locator('[data-action="close-modal"]').click();
    const again = await openFromBoard(page, itemId);
    await expect(again.getByTestId("version")).toHaveText(`Version ${version + 1}`);
    await expect(again.locator("#description")).toHaveValue(after);
    expect(problems).toEqual([]);
  });
});
