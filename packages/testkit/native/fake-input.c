/*
 * Presses keys in KWin through its org_kde_kwin_fake_input Wayland protocol (KWin must run with
 * KWIN_WAYLAND_NO_PERMISSION_CHECKS=1). Reads commands from stdin, one a line:
 *   down CODE   press the Linux evdev key CODE (29 left Ctrl, 42 left Shift, 19 R, ...)
 *   up CODE     release it
 * and answers "ok" on stdout once the compositor has received the request (a roundtrip).
 * The bindings come from wayland-scanner and fake-input.xml, generated at build time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>
#include "fake-input-client-protocol.h"

static struct org_kde_kwin_fake_input *fake_input;

static void global_added(void *data, struct wl_registry *registry, uint32_t name,
                         const char *interface, uint32_t version) {
  (void)data;
  if (strcmp(interface, org_kde_kwin_fake_input_interface.name) == 0 && version >= 4)
    fake_input = wl_registry_bind(registry, name, &org_kde_kwin_fake_input_interface, 4);
}

static void global_removed(void *data, struct wl_registry *registry, uint32_t name) {
  (void)data; (void)registry; (void)name;
}

static const struct wl_registry_listener registry_listener = {global_added, global_removed};

int main(void) {
  struct wl_display *display = wl_display_connect(NULL);
  if (!display) {
    fprintf(stderr, "cannot connect to the Wayland display (WAYLAND_DISPLAY)\n");
    return 1;
  }
  struct wl_registry *registry = wl_display_get_registry(display);
  wl_registry_add_listener(registry, &registry_listener, NULL);
  wl_display_roundtrip(display);
  if (!fake_input) {
    fprintf(stderr, "the compositor offers no org_kde_kwin_fake_input version 4\n");
    return 1;
  }
  org_kde_kwin_fake_input_authenticate(fake_input, "whis tests", "press keys");
  wl_display_roundtrip(display);
  printf("ready\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    char action[8];
    unsigned code;
    if (sscanf(line, "%7s %u", action, &code) != 2) continue;
    org_kde_kwin_fake_input_keyboard_key(fake_input, code, strcmp(action, "down") == 0 ? 1 : 0);
    wl_display_roundtrip(display);
    printf("ok\n");
    fflush(stdout);
  }
  wl_display_disconnect(display);
  return 0;
}
