// The job card's "Imprimir" button: shown only when this script runs (without JavaScript the
// page says to use Ctrl+P), and it opens the browser's print dialog.
document.addEventListener("DOMContentLoaded", () => {
  const botao = document.querySelector("[data-imprimir]");
  if (!botao) return;
  botao.hidden = false;
  document.querySelector(".dica-imprimir")?.setAttribute("hidden", "");
  botao.addEventListener("click", () => window.print());
});
