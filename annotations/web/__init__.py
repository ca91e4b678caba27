"""The reviewer's desk: the web UI on top of the services and selectors."""
