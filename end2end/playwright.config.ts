// Browser tests against the built app, in Debian's Chromium (Playwright's
// own browser download cannot work here). `scripts/e2e` builds nothing: it
// starts the server built by `cargo leptos build`, waits for /healthz, sets
// E2E_BASE_URL, runs these tests and stops the server.
//
// Every test runs twice, as in a real iframe and as a reader without
// JavaScript would see the page: `hydrated` and `no-js`. Tests that need the
// WASM app are named `*.hydrate.spec.ts` and skipped in `no-js`.
import { defineConfig } from "@playwright/test";

const baseURL = process.env.E2E_BASE_URL;
if (!baseURL) {
  throw new Error("E2E_BASE_URL is not set: run the browser tests through scripts/e2e");
}

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  // Root in a container, and a machine whose only network is loopback:
  // keep Chromium from trying to phone home.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export default defineConfig({
  testDir: "./tests",
  outputDir: "../target/e2e/results",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: process.env.CI ? 1 : undefined,
  reporter: [["list"]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  projects: [
    {
      name: "hydrated",
      use: { browserName: "chromium", javaScriptEnabled: true },
    },
    {
      name: "no-js",
      use: { browserName: "chromium", javaScriptEnabled: false },
      testIgnore: /.*\.hydrate\.spec\.ts/,
    },
  ],
});
