// What the server renders, checked in both projects: with JavaScript off
// this is exactly what a reader gets before any script runs.
import { expect, test } from "@playwright/test";

const board = "uXjVOfjkmAk=";
const item = "3458764517517852417";

test("the detail view arrives server-rendered with the card's ids", async ({ page }) => {
  const response = await page.goto(`/cards/${encodeURIComponent(board)}/${item}`);
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { name: "App card" })).toBeVisible();
  await expect(page.getByTestId("board-id")).toHaveText(board);
  await expect(page.getByTestId("item-id")).toHaveText(item);
  await expect(page.getByRole("button", { name: "Hide preview" })).toBeVisible();
  await expect(page.locator(".app-card__title")).toHaveText(`Card ${item}`);
  // The stylesheet from style/ is applied: Miro's 320 px card width.
  await expect(page.locator(".app-card")).toHaveCSS("width", "320px");
});

test("an unknown address answers 404 with a readable page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
