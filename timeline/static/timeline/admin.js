/* The editors' admin: one time-zone note per form, kinds that follow the track, and claims
   ordered with buttons instead of typed positions. Loaded with defer; no inline scripts. */
(function () {
  "use strict";

  // Django adds "Note: You are N hours ahead of server time." under every date field. The
  // form says once, at its top, which clock the times are in; add the editor's offset there.
  function replaceServerTimeNotes() {
    var warnings = document.querySelectorAll(".timezonewarning");
    if (!warnings.length) return;
    var note = document.getElementById("time-zone-note");
    if (note && !note.dataset.offsetShown) {
      var text = warnings[0].textContent.replace(/server time/g, "that clock").replace(/^Note: /, "");
      note.appendChild(document.createTextNode(" " + text));
      note.dataset.offsetShown = "yes";
    }
    warnings.forEach(function (warning) { warning.remove(); });
  }

  function kindsFollowTrack() {
    var track = document.getElementById("id_track");
    var kind = document.getElementById("id_kind");
    if (!track || !kind || !kind.dataset.kindsByTrack) return;
    var kindsByTrack = JSON.parse(kind.dataset.kindsByTrack);
    function apply() {
      var allowed = kindsByTrack[track.value];
      Array.prototype.forEach.call(kind.options, function (option) {
        var fits = !option.value || !allowed || allowed.indexOf(option.value) !== -1;
        option.hidden = !fits;
        option.disabled = !fits;
      });
      if (kind.selectedOptions.length && kind.selectedOptions[0].disabled) kind.value = "";
    }
    track.addEventListener("change", apply);
    apply();
  }

  function claimRows(group) {
    return Array.prototype.filter.call(
      group.querySelectorAll(":scope > fieldset > .inline-related, :scope > .inline-related"),
      function (row) { return !row.classList.contains("empty-form"); }
    );
  }

  function renumberClaims(group) {
    claimRows(group).forEach(function (row, index) {
      var input = row.querySelector('input[name$="-position"]');
      if (input) input.value = index + 1;
    });
  }

  function addMoveButtons(group, row) {
    if (row.querySelector(".claim-move")) return;
    var heading = row.querySelector("h3");
    var positionRow = row.querySelector(".field-position");
    if (!heading || !positionRow) return;
    positionRow.hidden = true;
    var box = document.createElement("span");
    box.className = "claim-move";
    [["up", "Move this claim up", "↑"], ["down", "Move this claim down", "↓"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "claim-move-" + spec[0];
      button.setAttribute("aria-label", spec[1]);
      button.title = spec[1];
      button.textContent = spec[2];
      button.addEventListener("click", function () {
        var rows = claimRows(group);
        var index = rows.indexOf(row);
        var target = spec[0] === "up" ? rows[index - 1] : rows[index + 1];
        if (!target) return;
        if (spec[0] === "up") target.parentNode.insertBefore(row, target);
        else target.parentNode.insertBefore(target, row);
        renumberClaims(group);
        button.focus();
      });
      box.appendChild(button);
    });
    heading.appendChild(box);
  }

  function orderedClaims() {
    var group = document.getElementById("claims-group");
    if (!group) return;
    claimRows(group).forEach(function (row) { addMoveButtons(group, row); });
    renumberClaims(group);
    document.addEventListener("formset:added", function (event) {
      if (event.target && group.contains(event.target)) {
        addMoveButtons(group, event.target);
        renumberClaims(group);
      }
      replaceServerTimeNotes();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    kindsFollowTrack();
    orderedClaims();
  });
  // Django's calendar widgets add their notes on "load": ours runs after theirs.
  window.addEventListener("load", function () { setTimeout(replaceServerTimeNotes, 0); });
})();
