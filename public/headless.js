// The app's headless page script (its sdkUri). Miro loads it on every board
// where the app is installed; when a card is opened it gets a one-time
// ticket for that card (tickets.js) and shows the card's detail view in a
// modal. Card text never travels in the URL.
"use strict";

miro.board.ui.on("app_card:open", async ({ appCard }) => {
  const board = await miro.board.getInfo();
  try {
    const url = await miroCards.ticketUrl(board.id, appCard.id);
    await miro.board.ui.openModal({ url, width: 520, height: 600 });
  } catch (error) {
    if (error.connect) {
      // No working connection to Miro yet: the modal explains and offers
      // to connect, then opens the card itself.
      const query = new URLSearchParams({ board_id: board.id, item_id: appCard.id });
      await miro.board.ui.openModal({ url: `/miro/connect?${query}`, width: 520, height: 600 });
      return;
    }
    await miro.board.notifications.showError(error.message);
  }
});

// A disconnected card's connect action: its content becomes a record and
// the card turns connected.
miro.board.ui.on("app_card:connect", async ({ appCard }) => {
  const board = await miro.board.getInfo();
  try {
    await miroCards.connect(board.id, appCard.id);
    await miro.board.notifications.showInfo("Card connected");
  } catch (error) {
    await miro.board.notifications.showError(error.message);
  }
});

// The app's icon in the toolbar opens the panel on this board, with a
// one-time ticket (never a token or card text in the URL).
miro.board.ui.on("icon:click", async () => {
  const board = await miro.board.getInfo();
  try {
    const url = await miroCards.panelUrl(board.id);
    await miro.board.ui.openPanel({ url });
  } catch (error) {
    if (error.connect) {
      const query = new URLSearchParams({ board_id: board.id });
      await miro.board.ui.openPanel({ url: `/miro/connect?${query}` });
      return;
    }
    await miro.board.notifications.showError(error.message);
  }
});
