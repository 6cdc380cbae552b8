// The connect page (/miro/connect), shown in the card's modal (or in the
// panel) when the user has no working connection to Miro. "Connect" runs
// the install in a new window (/oauth/install); meanwhile this page keeps
// asking for a ticket for the card (or the panel, when it names no card),
// and opens it as soon as one is granted.
"use strict";

(() => {
  const boardId = document.body.dataset.boardId;
  const itemId = document.body.dataset.itemId;
  const button = document.getElementById("connect");
  const status = document.getElementById("connect-status");
  const POLL_MS = 2000;
  const GIVE_UP_MS = 10 * 60 * 1000;
  let polling = false;

  async function openWhenConnected(started) {
    try {
      const url = itemId ? await miroCards.ticketUrl(boardId, itemId) : await miroCards.panelUrl(boardId);
      location.replace(url);
      return;
    } catch (error) {
      if (Date.now() - started > GIVE_UP_MS) {
        status.textContent = `Still not connected: ${error.message} Try Connect again.`;
        button.disabled = false;
        polling = false;
        return;
      }
    }
    setTimeout(() => openWhenConnected(started), POLL_MS);
  }

  button.addEventListener("click", () => {
    const install = window.open("/oauth/install", "miro-cards-install", "popup,width=640,height=760");
    if (!install) {
      status.textContent = "Your browser blocked the new window. Allow pop-ups for this app and press Connect again.";
      return;
    }
    status.textContent = "Waiting for you to allow the app in the new window…";
    button.disabled = true;
    if (!polling) {
      polling = true;
      openWhenConnected(Date.now());
    }
  });
})();
