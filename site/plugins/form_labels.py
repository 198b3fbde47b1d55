"""Names for the controls of Datasette's own table and SQL pages, which its templates leave unlabelled.

The filter row of a table page (column, operation, value), its sort menu, and the SQL editor (CodeMirror's
text box) have no <label>: a screen reader announces "combo box" or "edit text" and nothing more, and the
accessibility audit (tests/e2e/test_accessibility.py) counts each as a critical violation. Rather than copy
Datasette's table.html, database.html and query.html to add three labels, a few lines of script on those
pages give each control its name (aria-label), also to the controls CodeMirror adds after loading.
"""

from __future__ import annotations

import json

from datasette import hookimpl

NAMES = {
    "select[name^='_filter_column']": "Column to filter on",
    "select[name^='_filter_op']": "How to compare",
    "input[name^='_filter_value']": "Value to compare with",
    "select[name='_sort']": "Sort by",
    "#sql-editor, .CodeMirror textarea, .cm-content": "SQL query",
}

SCRIPT = """
(function () {
  var names = %s;
  function name() {
    Object.keys(names).forEach(function (selector) {
      document.querySelectorAll(selector).forEach(function (el) {
        if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", names[selector]);
      });
    });
  }
  name();
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
})();
"""


@hookimpl
def extra_body_script(view_name):
    if view_name not in ("table", "database", "query"):
        return ""
    return SCRIPT % json.dumps(NAMES)
