// Text typed on a card and not sent (a new promise too) survives the page going away: a
// session that ended while a mechanic wrote (a sign-out elsewhere, a reset, the expiry: the
// board reloads to the sign-in page, or a tap's 401 goes there), a link followed, a reload. It is kept in this tab's
// sessionStorage, with whose it is, for a while; when the same person's board opens again in
// this tab, each text goes back into its card's form, opened, or, if that form is gone (the
// order moved on; a hold's form, drawn only when "Mais…" is opened), at the top of the board
// to copy, as a refused step's text is shown
// (#modelo-texto-perdido, the server's own markup). Another person signing in on a shared
// tablet gets nothing of it, and it is forgotten.
(function () {
  "use strict";

  const CHAVE = "oficina:rascunhos";
  // What a person writes on a card: a step's text, a hold's note ("Mais…" → "Colocar em
  // espera", a one-line field), a manager's new promise ("Mais…" → "Entrega prometida").
  const CAMPOS = ["textarea", "input[name=nota]", "input[name=previsao_entrega]"];
  const TEXTOS = CAMPOS.map((campo) => `li.cartao[id] form ${campo}`).join(", ");
  const VALIDADE_MS = 2 * 60 * 60 * 1000;

  const quadro = document.getElementById("quadro");
  const pessoa = quadro && quadro.dataset.pessoa;
  if (!quadro || !pessoa || !window.sessionStorage) return;

  // "OS 1003 (PXT7A10)", as a step's form and a hold's (in "Mais…") name it (data-os-rotulo);
  // else by its card's number ("OS 1003").
  function rotulo(campo, cartao) {
    const doPasso = campo.closest("[data-os-rotulo]");
    if (doPasso) return doPasso.dataset.osRotulo;
    return cartao.dataset.os ? `OS ${cartao.dataset.os}` : "";
  }

  // The texts typed and not sent, under `raiz` (the board, or a card), but those of `fora`.
  function digitados(raiz, fora) {
    const itens = [];
    for (const campo of raiz.querySelectorAll(TEXTOS)) {
      const texto = campo.value.trim();
      if (!texto || !window.oficinaDigitado(campo)) continue; // digitado.js
      if (fora && fora.contains(campo)) continue;
      const cartao = campo.closest("li.cartao");
      itens.push({
        cartao: cartao.id,
        acao: campo.form.getAttribute("action"),
        campo: campo.name,
        texto: campo.value,
        ordem: rotulo(campo, cartao),
        legivel: legivel(campo),
      });
    }
    return itens;
  }

  // A date and time as its person reads it, to copy when its form is gone ("Nova entrega
  // prometida: 08/12/2026 17:30", its label's words): the field's value is "2026-12-08T17:30".
  function legivel(campo) {
    const data = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(campo.value);
    if (campo.type !== "datetime-local" || !data) return campo.value;
    const rotulo = campo.labels && campo.labels[0] && campo.labels[0].firstChild;
    const quando = `${data[3]}/${data[2]}/${data[1]} ${data[4]}`;
    return rotulo ? `${rotulo.textContent.trim()}: ${quando}` : quando;
  }

  function guardar() {
    const itens = digitados(quadro, null);
    try {
      if (itens.length) {
        sessionStorage.setItem(CHAVE, JSON.stringify({ pessoa, em: Date.now(), itens }));
      }
    } catch (erro) {
      // Storage full or refused (a private window): nothing more to do on the way out.
    }
  }

  function lidos() {
    let guardado = null;
    try {
      guardado = JSON.parse(sessionStorage.getItem(CHAVE) || "null");
      sessionStorage.removeItem(CHAVE);
    } catch (erro) {
      return [];
    }
    if (!guardado || guardado.pessoa !== pessoa || !Array.isArray(guardado.itens)) return [];
    if (!(Date.now() - guardado.em < VALIDADE_MS)) return [];
    return guardado.itens;
  }

  function noFormulario(item) {
    const cartao = document.getElementById(item.cartao);
    if (!cartao) return false;
    const form = Array.from(cartao.querySelectorAll("form"))
      .find((f) => f.getAttribute("action") === item.acao);
    const campo = form && form.elements.namedItem(item.campo);
    if (!campo || !campo.matches || !campo.matches(CAMPOS.join(", "))) return false;
    const detalhes = campo.closest("details");
    if (detalhes) detalhes.open = true;
    campo.value = item.texto; // defaultValue stays: the board knows it as typed, not drawn
    return true;
  }

  function paraCopiar(item) {
    const modelo = document.getElementById("modelo-texto-perdido");
    const area = document.getElementById("textos-perdidos");
    if (!modelo || !area) return;
    const aviso = modelo.content.firstElementChild.cloneNode(true);
    aviso.dataset.cartao = item.cartao;
    aviso.querySelector("[data-os-rotulo]").textContent = item.ordem ? ` na ${item.ordem}` : "";
    aviso.querySelector("textarea").value = item.legivel || item.texto;
    area.appendChild(aviso);
  }

  for (const item of lidos()) {
    if (!noFormulario(item)) paraCopiar(item);
  }
  window.addEventListener("pagehide", guardar);

  // The answer to one of a card's forms (a hold confirmed, a resume) draws the card anew: text
  // typed in its other forms (a diagnosis half written) goes back into the new card's form, or
  // is offered to copy, instead of vanishing with the old node. (A push never takes a card
  // with typed text: quadro-ao-vivo.js.)
  let emTransito = [];
  document.addEventListener("htmx:before:swap", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const fonte = ctx && ctx.sourceElement;
    if (!fonte || !fonte.closest || fonte.hasAttribute("hx-sse:connect")) return;
    const cartao = fonte.closest("li.cartao[id]");
    const enviado = fonte.closest("form");
    if (cartao && quadro.contains(cartao)) emTransito = digitados(cartao, enviado);
  });
  document.addEventListener("htmx:after:swap", () => {
    const itens = emTransito;
    emTransito = [];
    for (const item of itens) {
      const cartao = document.getElementById(item.cartao);
      const campo = cartao && Array.from(cartao.querySelectorAll(TEXTOS))
        .find((c) => c.form.getAttribute("action") === item.acao && c.name === item.campo);
      if (campo && campo.value === item.texto) continue; // the same node stayed
      if (!noFormulario(item)) paraCopiar(item);
    }
  });
})();
