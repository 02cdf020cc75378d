"""Read an admin page's form as a browser would submit it, so tests can save it unchanged."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.data = {}
        self._select = None
        self._select_multiple = False
        self._textarea = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in attrs
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "select":
            if self._select and not self._select_multiple and not self.data[self._select]:
                self.data[self._select] = [""]
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                value = self.data[self._textarea][-1]
                # Browsers drop the one newline that follows <textarea>.
                self.data[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None


def read_admin_form(html, form_id):
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.data, f"no form #{form_id} on the page"
    return {
        name: values if len(values) != 1 else values[0]
        for name, values in reader.data.items()
        if "__prefix__" not in name
    }
