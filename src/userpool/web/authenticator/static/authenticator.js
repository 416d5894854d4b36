// The hosted Authenticator's progressive enhancement (served from this origin: CSP script-src 'self').
// Without it every page works the same; the server checks everything again.
// - The password rules under a new password are ticked off as the user types (data-met on each rule, and a
//   visually hidden "done" / "not yet" for screen readers), and the field is marked invalid until they are met.
//   "Not a commonly used password" (data-server-rule) is left alone: only the server knows the blocklist,
//   and its refusal says so on the form.
// - "Confirm Password" says at once when it does not match.
(function () {
  "use strict";
  var SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

  function meets(rule, value) {
    switch (rule.getAttribute("data-rule")) {
      case "length":
        return Array.from(value).length >= Number(rule.getAttribute("data-min") || "0");
      case "upper":
        return /\p{Lu}/u.test(value);
      case "lower":
        return /\p{Ll}/u.test(value);
      case "number":
        return /\p{Nd}/u.test(value);
      case "symbol":
        return Array.from(value).some(function (c) { return SYMBOLS.indexOf(c) >= 0; });
      default:
        return true;
    }
  }

  function watchRules(list) {
    var input = document.getElementById(list.getAttribute("data-for"));
    if (!input) { return; }
    var rules = Array.prototype.slice.call(list.querySelectorAll("[data-rule]"));
    var met = list.getAttribute("data-met") || "";
    var unmet = list.getAttribute("data-unmet") || "";
    function update() {
      var broken = [];
      rules.forEach(function (rule) {
        var ok = meets(rule, input.value);
        rule.setAttribute("data-met", ok ? "true" : "false");
        var state = rule.querySelector("[data-state]");
        if (state) { state.textContent = input.value ? " (" + (ok ? met : unmet) + ")" : ""; }
        if (!ok) { broken.push(rule.firstChild ? rule.firstChild.textContent : ""); }
      });
      input.setCustomValidity(input.value && broken.length ? broken.join(", ") : "");
    }
    input.addEventListener("input", update);
  }

  function watchMatch(confirm) {
    var original = document.getElementById(confirm.getAttribute("data-match"));
    if (!original) { return; }
    var message = confirm.getAttribute("data-mismatch") || "";
    function update() {
      confirm.setCustomValidity(confirm.value && confirm.value !== original.value ? message : "");
    }
    confirm.addEventListener("input", update);
    original.addEventListener("input", update);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-password-rules]"), watchRules);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-match]"), watchMatch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
