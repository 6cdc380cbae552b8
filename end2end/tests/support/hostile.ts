// Record text that tries to be markup, and a card that carries it. The
// description starts with a newline (the HTML parser drops one right after
// `<textarea>`), then ends the textarea and adds a refresh to another
// site (which, as markup, would send Miro's modal there: a page's CSP does
// not govern a meta refresh), then tries the other elements whose text the
// server writes raw.
import type { APIRequestContext, Page } from "@playwright/test";
import { accessToken, cardPath, discover, expect, issueTicket } from "./sandbox";

export const HOSTILE_DESCRIPTION =
  '\n</textarea><meta http-equiv="refresh" content="0;url=https://evil.example/">\n\n' +
  "</script><script>alert(1)</script><!--<script>\n</title></style><b>not bold</b> &amp; &lt;kept&gt;";

export const HOSTILE_TITLE = "</title></script><!--<script></textarea><img src=x onerror=alert(1)>";

/**
 * Records every request for the other site the text names, and answers it
 * (the machine has no network): the list stays empty unless some frame of
 * the page was sent there.
 */
export async function watchEvilSite(page: Page): Promise<string[]> {
  const sent: string[] = [];
  await page.route("https://evil.example/**", async (route) => {
    sent.push(route.request().url());
    await route.fulfill({ status: 200, contentType: "text/html", body: "<p>evil.example</p>" });
  });
  return sent;
}

type OpenedCard = {
  result: {
    Ok?: {
      session: string;
      record: { version: number; fields: { title: string; description: string } & Record<string, unknown> };
    };
  };
};

/** The card a detail page opened with, read from its data for hydration. */
export async function openedCard(request: APIRequestContext, boardId: string, itemId: string) {
  const page = await request.get(cardPath(boardId, itemId, await issueTicket(request, boardId, itemId)));
  expect(page.status()).toBe(200);
  const html = await page.text();
  const data = /<script type="application\/json" id="card-view-data">([^<]*)<\/script>/.exec(html);
  expect(data, "the page's data for hydration").toBeTruthy();
  const opened = JSON.parse(data![1]) as OpenedCard;
  expect(opened.result.Ok, "the card opened").toBeTruthy();
  return opened.result.Ok!;
}

/**
 * A new app card of ours on `boardId`, connected (its record made from it,
 * as `app_card:connect` does), whose record then gets `title` and the
 * hostile description through the detail view's `save_card`. Answers its id.
 */
export async function hostileCard(request: APIRequestContext, boardId: string, title: string): Promise<string> {
  const sandbox = await discover(request);
  const headers = { authorization: `Bearer ${await accessToken(request, sandbox)}` };
  const created = await request.post(`${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}/app_cards`, {
    headers,
    data: { data: { title: "A card for hostile text" }, position: { x: -900, y: 700 } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const itemId = ((await created.json()) as { id: string }).id;

  const sdk = await request.post(`/sandbox/host/boards/${encodeURIComponent(boardId)}/sdk`, {
    data: { method: "board.getIdToken", args: [] },
  });
  const { result: idToken } = (await sdk.json()) as { result: string };
  const connected = await request.post("/miro/cards/connect", {
    headers: { authorization: `Bearer ${idToken}` },
    data: { board_id: boardId, item_id: itemId },
  });
  expect(connected.status(), await connected.text()).toBe(200);

  const view = await openedCard(request, boardId, itemId);
  const saved = await request.post("/api/save_card", {
    data: {
      request: {
        board_id: boardId,
        item_id: itemId,
        session: view.session,
        base_version: view.record.version,
        fields: { ...view.record.fields, title, description: HOSTILE_DESCRIPTION },
      },
    },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  return itemId;
}

/** Takes an app card off the board again. */
export async function removeCard(request: APIRequestContext, boardId: string, itemId: string): Promise<void> {
  const sandbox = await discover(request);
  const headers = { authorization: `Bearer ${await accessToken(request, sandbox)}` };
  await request
    .delete(`${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}/app_cards/${itemId}`, { headers })
    .catch(() => undefined);
}
