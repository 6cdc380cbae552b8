// The app's headless page script (its sdkUri). Miro loads it on every board
// where the app is installed; it waits for a card to be opened and shows
// the card's detail view in a modal.
"use strict";

miro.board.ui.on("app_card:open", async ({ appCard }) => {
  const board = await miro.board.getInfo();
  const path = `/cards/${encodeURIComponent(board.id)}/${encodeURIComponent(appCard.id)}`;
  await miro.board.ui.openModal({ url: new URL(path, location.origin).href, width: 520, height: 600 });
});
