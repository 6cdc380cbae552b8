// Tickets: how the app's pages open a card's detail view or the panel (and
// connect a disconnected card). The page asks
// Miro's Web SDK for an ID token, trades it (in a header, never a URL) for
// a one-time ticket bound to this user and card, and opens the view's URL
// with that ticket. Loaded by the headless page and by the detail view
// (whose "Try again" reopens the card with a fresh ticket).
"use strict";

window.miroCards = {
  /** The detail view's URL for a card, with a fresh ticket. */
  async ticketUrl(boardId, itemId) {
    const idToken = await miro.board.getIdToken();
    const response = await fetch("/miro/tickets", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ board_id: boardId, item_id: itemId }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.error || `The app could not open the card (${response.status}).`);
      // The user must connect the app to Miro (again) first.
      error.connect = body.connect === true;
      throw error;
    }
    const path =
      `/cards/${encodeURIComponent(boardId)}/${encodeURIComponent(itemId)}` +
      `?ticket=${encodeURIComponent(body.ticket)}`;
    return new URL(path, location.origin).href;
  },

  /** The panel's URL for a board, with a fresh ticket. */
  async panelUrl(boardId) {
    const idToken = await miro.board.getIdToken();
    const response = await fetch("/miro/panel/tickets", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ board_id: boardId }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.error || `The app could not open its panel (${response.status}).`);
      error.connect = body.connect === true;
      throw error;
    }
    const path = `/panel/${encodeURIComponent(boardId)}?ticket=${encodeURIComponent(body.ticket)}`;
    return new URL(path, location.origin).href;
  },

  /** Links a disconnected card to a new record made from its content. */
  async connect(boardId, itemId) {
    const idToken = await miro.board.getIdToken();
    const response = await fetch("/miro/cards/connect", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ board_id: boardId, item_id: itemId }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(body.error || `The app could not connect the card (${response.status}).`);
    }
    return body;
  },

  /** Loads this card's view again with a fresh ticket. */
  reopen(boardId, itemId) {
    this.ticketUrl(boardId, itemId)
      .then((url) => location.replace(url))
      .catch((error) => {
        const hint = document.getElementById("open-failed-hint");
        if (hint) hint.textContent = error.message;
      });
  },
};
