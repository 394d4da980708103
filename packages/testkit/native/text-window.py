#!/usr/bin/python3
# A focused GTK3 text view for typing tests: every change of its text is written to the file named
# by the first argument (atomically), and "ready" is printed once the window has keyboard focus.
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

path = sys.argv[1]
window = Gtk.Window(title="whis text window")
window.set_default_size(600, 300)
view = Gtk.TextView()
window.add(view)
buffer = view.get_buffer()


def save(*_):
    text = buffer.get_text(buffer.get_start_iter(), buffer.get_end_iter(), True)
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, path)


def focused(*_):
    print("ready", flush=True)
    return False


buffer.connect("changed", save)
window.connect("focus-in-event", focused)
window.connect("destroy", Gtk.main_quit)
save()
window.show_all()
view.grab_focus()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, Gtk.main_quit)
Gtk.main()
