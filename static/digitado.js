// Whether a form field holds what the person changed, not what the page drew: a deployment's
// reload (versao.js) and a push (quadro-ao-vivo.js) wait for it. A <select> drawn without a
// `selected` option shows its first one: that is what was drawn (the manager's mechanic
// filter, "Todos os mecânicos"; a hold's reason), not a choice, or the manager's board never
// reloaded after a deployment.
window.oficinaDigitado = function (campo) {
  "use strict";
  if (campo.tagName === "SELECT") {
    if (campo.multiple) {
      return Array.from(campo.options).some((opcao) => opcao.selected !== opcao.defaultSelected);
    }
    const desenhada = Array.from(campo.options).findIndex((opcao) => opcao.defaultSelected);
    return campo.selectedIndex !== Math.max(desenhada, 0);
  }
  if (campo.matches("input[type=checkbox], input[type=radio]")) {
    return campo.checked !== campo.defaultChecked;
  }
  return campo.value !== campo.defaultValue;
};

// Whether anything on the page holds what its person typed or chose and did not send: a page
// that reloads itself (versao.js, dia-muda.js) waits for it.
window.oficinaRascunho = function () {
  "use strict";
  const campos = document.querySelectorAll("textarea, select, input:not([type=hidden])");
  return Array.from(campos).some(window.oficinaDigitado);
};
