// A duration in the words of the server's clock.duracao ("42 min", "3 h 05 min", "2 d 4 h"):
// the TV and the board tick times between pushes, and say them as the server would.
(function () {
  "use strict";

  window.oficinaDuracao = function (segundos) {
    let minutos = Math.floor(segundos / 60);
    if (minutos < 60) return `${minutos} min`;
    const horas = Math.floor(minutos / 60);
    minutos %= 60;
    if (horas < 24) return `${horas} h ${String(minutos).padStart(2, "0")} min`;
    const dias = Math.floor(horas / 24);
    return horas % 24 ? `${dias} d ${horas % 24} h` : `${dias} d`; // "2 d", not "2 d 0 h"
  };
})();
