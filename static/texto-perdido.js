// Text a step could not save, offered to copy (quadro/_aviso_texto_perdido.html, on the board
// and on the order's page): "Fechar" takes the notice away and leaves the focus on its order's
// card or, when the order is not on this page, on the page's heading, never on <body>.
(function () {
  "use strict";

  document.addEventListener("click", (evento) => {
    const fechar = evento.target.closest && evento.target.closest(".fechar-aviso");
    if (!fechar) return;
    const aviso = fechar.closest(".texto-perdido");
    const id = aviso.dataset.cartao;
    aviso.remove();
    const volta = (id && document.getElementById(id)) || document.querySelector("main h1");
    if (!volta) return;
    if (!volta.hasAttribute("tabindex")) volta.setAttribute("tabindex", "-1");
    volta.focus({ preventScroll: true });
    volta.scrollIntoView({ block: "nearest", inline: "nearest" });
  });
})();
