// An address the app does not serve: a 404 with a page a person can read,
// in both projects (kept from the placeholder's spec, which is gone).
import { expect, test } from "@playwright/test";

test("an unknown address answers 404 with a readable page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
