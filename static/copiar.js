// "Copiar" buttons: <button data-copiar="ID" hidden> copies the value of the field ID. Shown only
// when this script runs (without it the field is there to select by hand). Delegated, so a
// button that arrives in an htmx answer works too. The clipboard API exists only on https or
// localhost; a shop's LAN address over http falls back to selecting and copying the field.
(function () {
  "use strict";

  function mostrar(raiz) {
    for (const botao of raiz.querySelectorAll("button[data-copiar][hidden]")) botao.hidden = false;
  }

  function copiarSelecionando(campo) {
    campo.focus();
    campo.select();
    try {
      return document.execCommand("copy");
    } catch (_) {
      return false;
    }
  }

  async function copiar(campo) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(campo.value);
        return true;
      } catch (_) {
        // Permission refused: the old way below.
      }
    }
    return copiarSelecionando(campo);
  }

  document.addEventListener("click", async (evento) => {
    const botao = evento.target.closest("button[data-copiar]");
    if (!botao) return;
    const campo = document.getElementById(botao.dataset.copiar);
    if (!campo) return;
    const ok = await copiar(campo);
    const aviso = document.getElementById(`${campo.id}-copiado`);
    if (aviso) {
      aviso.textContent = ok ? "Copiado." : "Não deu para copiar sozinho: o texto ficou selecionado, copie-o.";
    }
    if (!ok) {
      campo.focus();
      campo.select();
    }
  });

  document.addEventListener("DOMContentLoaded", () => mostrar(document));
  document.addEventListener("htmx:after:swap", () => mostrar(document));
})();
