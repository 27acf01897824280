// A card that has just moved on the screen is not what a finger landing on it was aimed at.
// A push puts a new order above the one a mechanic is reaching for (an urgent car, a car
// back from its diagnosis), a column is redrawn, a gap closes: the cards slide, and the tap
// already on its way landed on the car that slid under it ("Iniciar diagnóstico" of the wrong
// car, another order's page). A tap on a control of a card that moved, or appeared, less than
// REACAO_MS before the finger touched is dropped, unless that same control was under the
// finger before the move too, and a note at the finger says so: nothing was done, tap again. A person cannot see a card and tap it that fast; a later tap acts.
// Keyboard presses (on the focus, not on a place) always act.
// Every change of the board's lists goes through window.oficinaSobODedo(mudar) (so this file
// loads before the others that call it): htmx's swaps (here), the pushes kept back while
// someone wrote (quadro-ao-vivo.js), a gap closing (quadro-vaga.js), what the clock writes on
// the cards each second (quadro-relogio.js: a line added or taken away, a time that grows and
// wraps its line). It measures the cards before and after: a
// card replaced in its place, or a card that only scrolled, did not move.
(function () {
  "use strict";

  const REACAO_MS = 500; // the quickest a person taps what they have just seen
  // A card redrawn in its place by the answer to a tap on it ("Aprovar orçamento" becomes
  // "Iniciar reparo" at the same spot): the second tap of a double tap, 250-400 ms after the
  // first, started the repair. The same reaction time as a card that moved.
  const TROCA_MS = REACAO_MS;
  const RESPOSTA_MS = 3000; // a redraw this soon after a tap on its card is that tap's answer
  const MINIMO_PX = 6; // less is not a different spot under a finger
  const AVISO_MS = 2500;
  const TEXTO = "O cartão mudou de lugar bem na hora do toque: nada foi feito. "
    + "Confira e toque de novo.";
  const TEXTO_TROCA = "O cartão mudou bem na hora do toque: nada foi feito. "
    + "Confira e toque de novo.";

  const quadro = document.getElementById("quadro");
  if (!quadro) {
    window.oficinaSobODedo = (mudar) => mudar();
    return;
  }
  const movidoEm = new Map(); // card id -> how it last moved on the screen (comparar)

  // Where each card is on the screen, and in the page (as if nothing were scrolled). A card
  // moved under a finger when both changed: a scroll (the person's, or the view following a
  // card) moves it on the screen only, and the browser keeping the view still as a card comes
  // in above it (scroll anchoring) moves it in the page only.
  function posicoes() {
    const mapa = new Map();
    const x = window.scrollX + quadro.scrollLeft;
    const y = window.scrollY;
    for (const li of quadro.querySelectorAll("ol.cartoes > li.cartao[id]")) {
      const caixa = li.getBoundingClientRect();
      if (!caixa.width && !caixa.height) continue;
      mapa.set(li.id, { x: caixa.left, y: caixa.top, px: caixa.left + x, py: caixa.top + y });
    }
    return mapa;
  }

  const longe = (a, b) => Math.abs(a - b) >= MINIMO_PX;

  // How each card moved on the screen ({em, dx, dy}; dx null: it came), added up over the
  // moves of the last REACAO_MS: what the finger was aimed at was where it was before them.
  function comparar(antes) {
    const agora = performance.now();
    for (const [id, m] of movidoEm) if (agora - m.em > REACAO_MS) movidoEm.delete(id);
    for (const [id, p] of posicoes()) {
      const era = antes.get(id);
      const naTela = !era || longe(era.x, p.x) || longe(era.y, p.y);
      const naPagina = !era || longe(era.px, p.px) || longe(era.py, p.py);
      if (!(naTela && naPagina)) continue;
      const ja = movidoEm.get(id) || { dx: 0, dy: 0 };
      const veio = !era || ja.dx === null;
      movidoEm.set(id, {
        em: agora,
        dx: veio ? null : ja.dx + p.x - era.x,
        dy: veio ? null : ja.dy + p.y - era.y,
      });
    }
  }

  // Whether the control under the finger at (x, y) is the one that was there before its card
  // moved: the card's content that was at (x, y) is at (x + dx, y + dy) now. A card above put
  // on hold pushes the next one down by a line: the finger still on the same button acts.
  function mesmoDeAntes(controle, m, x, y) {
    if (m.dx === null) return false;
    const la = document.elementFromPoint(x + m.dx, y + m.dy);
    return !!la && la.closest(":is(button, a, summary)") === controle;
  }

  // The control the last tap acted on (where it was on the screen, and what it does), and the
  // card a change redrew in its place right after (a new node where the old one was): the
  // second tap of a double tap, landing on that same spot, would act on whatever the redraw
  // put there (trocado).
  let tocado = null; // {id, caixa, acao, em}
  let trocado = null; // {id, em}
  function acao(controle) {
    const formulario = controle.closest("form");
    return [controle.tagName, controle.textContent.trim(), controle.getAttribute("hx-post")
      || controle.getAttribute("formaction") || (formulario && formulario.getAttribute("action"))
      || controle.getAttribute("href") || ""].join("|");
  }
  function noDoTocado() {
    return tocado ? document.getElementById(tocado.id) : null;
  }
  function notarTroca(antes) {
    const cartao = noDoTocado();
    // Only a new version of the order changes what its controls do: a refusal or a lost
    // answer redraws the same steps ("Tentar de novo" where "Confirmar" was acts).
    // And only the answer to the last tap (or its push): a redraw by someone else's change,
    // long after that tap, is a push like any, its card not moved.
    if (antes && cartao && cartao !== antes && !movidoEm.has(cartao.id)
        && cartao.dataset.versao !== antes.dataset.versao
        && performance.now() - tocado.em < RESPOSTA_MS) {
      trocado = { id: cartao.id, em: performance.now() };
    }
  }

  window.oficinaSobODedo = function (mudar) {
    const antes = posicoes();
    const no = noDoTocado();
    try {
      return mudar();
    } finally {
      comparar(antes);
      notarTroca(no);
    }
  };

  // htmx's swaps (a push, an answer, "Mostrar mais"): measured from before the first listener
  // of the board's scripts runs (they place cards themselves) to after the swap.
  let antesDoSwap = null;
  let toqueAntesDoSwap = null;
  window.addEventListener("htmx:before:swap", () => {
    antesDoSwap = posicoes();
    toqueAntesDoSwap = noDoTocado();
  }, true);
  document.addEventListener("htmx:after:swap", () => {
    if (!antesDoSwap) return;
    const antes = antesDoSwap;
    antesDoSwap = null;
    comparar(antes);
    notarTroca(toqueAntesDoSwap);
    toqueAntesDoSwap = null;
  });

  let toque = null; // {id, em} of the card a finger (or the pointer) last touched
  quadro.addEventListener("pointerdown", (evento) => {
    const cartao = evento.target.closest && evento.target.closest("li.cartao[id]");
    toque = cartao ? { id: cartao.id, em: evento.timeStamp } : null;
  }, true);

  function avisar(x, y, texto = TEXTO) {
    let nota = document.getElementById("toque-ignorado");
    if (!nota) {
      nota = document.createElement("p");
      nota.id = "toque-ignorado";
      nota.className = "toque-ignorado";
      document.body.appendChild(nota);
    }
    nota.textContent = texto;
    // Said once, by the board's live region (this note only shows it where the eyes are).
    const anuncios = document.getElementById("anuncios");
    if (anuncios) anuncios.textContent = texto;
    nota.hidden = false;
    // Above the finger (a hand covers what is below it), within the screen, over nothing it
    // could take (pointer-events: none).
    const largura = nota.offsetWidth;
    const altura = nota.offsetHeight;
    const acima = y - altura - 24;
    nota.style.left = `${Math.max(8, Math.min(x - largura / 2, window.innerWidth - largura - 8))}px`;
    nota.style.top = `${acima >= 8 ? acima : Math.min(y + 24, window.innerHeight - altura - 8)}px`;
    clearTimeout(nota.esconder);
    nota.esconder = setTimeout(() => { nota.hidden = true; }, AVISO_MS);
  }

  document.addEventListener("click", (evento) => {
    if (evento.detail === 0 || !toque) return; // a keyboard's press acts on the focus
    const controle = evento.target.closest
      && evento.target.closest("li.cartao[id] :is(button, a, summary)");
    const cartao = controle && controle.closest("li.cartao[id]");
    if (!cartao || cartao.id !== toque.id) return;
    const x = evento.clientX;
    const y = evento.clientY;
    const caixa = tocado && tocado.id === cartao.id ? tocado.caixa : null;
    if (caixa && trocado && trocado.id === cartao.id && toque.em - trocado.em < TROCA_MS
        && x >= caixa.left && x <= caixa.right && y >= caixa.top && y <= caixa.bottom
        && acao(controle) !== tocado.acao) {
      // Redrawn in its place: where the last tap was, another control now.
      evento.preventDefault();
      evento.stopImmediatePropagation();
      avisar(x, y, TEXTO_TROCA);
      return;
    }
    const movido = movidoEm.get(cartao.id);
    if (movido !== undefined && toque.em - movido.em < REACAO_MS
        && !mesmoDeAntes(controle, movido, x, y)) {
      evento.preventDefault();
      evento.stopImmediatePropagation();
      avisar(x, y);
      return;
    }
    tocado = {
      id: cartao.id, caixa: controle.getBoundingClientRect(), acao: acao(controle),
      em: performance.now(),
    };
  }, true);
})();
