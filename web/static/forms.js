/* Forms, progressively enhanced (everything works without it): live character counters, the
   error summary takes the focus, the private link can be copied. */
(function () {
  "use strict";
  var number = new Intl.NumberFormat("fr-FR");

  function counter(field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    var out = document.getElementById(field.id + "-count");
    if (!out || !limit) { return; }
    function update() {
      var n = field.value.length;
      if (n > limit) {
        out.textContent = number.format(limit) + " caractères au plus ; votre texte en compte " + number.format(n)
          + " (" + number.format(n - limit) + " de trop)";
        out.classList.add("over");
      } else {
        out.textContent = number.format(n) + " / " + number.format(limit) + " caractères";
        out.classList.remove("over");
      }
    }
    field.addEventListener("input", update);
    update();
  }

  function copy(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = button.parentNode.querySelector(".copied");
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        if (done) { done.textContent = "Lien copié."; }
      }, function () {
        if (done) { done.textContent = "Copie impossible : sélectionnez le lien et copiez-le."; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-limit]"), counter);
    if (navigator.clipboard) { Array.prototype.forEach.call(document.querySelectorAll("button.copy"), copy); }
    var summary = document.getElementById("erreurs");
    if (summary && document.activeElement !== summary) { summary.focus(); }
  });
}());
