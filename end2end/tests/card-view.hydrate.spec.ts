// Hydration: the server's HTML is complete before the WASM runs, and once
// the WASM has hydrated it the page reacts to the user.
import { expect, test, type Route } from "@playwright/test";

const path = "/cards/board-1/item-42";

test("content is there before any script runs, then hydration makes it interactive", async ({
  page,
}) => {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });

  // Hold the WASM module back: until it is released, no app code can run.
  let releaseWasm: () => void = () => {};
  const wasmHeld = new Promise<void>((resolve) => (releaseWasm = resolve));
  await page.route("**/pkg/*.wasm", async (route: Route) => {
    await wasmHeld;
    await route.continue();
  });

  await page.goto(path, { waitUntil: "domcontentloaded" });
  await expect(page.getByTestId("item-id")).toHaveText("item-42");
  await expect(page.getByRole("button", { name: "Hide preview" })).toBeVisible();
  await expect(page.locator("body")).not.toHaveAttribute("data-hydrated");

  releaseWasm();
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  const toggle = page.getByRole("button", { name: "Hide preview" });
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await toggle.click();
  await expect(page.getByRole("button", { name: "Show preview" })).toHaveAttribute(
    "aria-expanded",
    "false",
  );
  await expect(page.locator("#card-preview")).toBeHidden();

  expect(problems).toEqual([]);
});
