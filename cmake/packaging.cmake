# `make package`: a Debian package of the server, the web client, the systemd
# unit and the deploy files, built by CPack's DEB generator (docs/operations.md,
# Packaging). The layout:
#   /usr/bin/parley                        the server
#   /usr/share/parley/web/                 the built web client (web/out)
#   /lib/systemd/system/parley.service     packaging/deb/parley.service
#   /usr/share/doc/parley/examples/        deploy/ (nginx, Prometheus, ...)
#   /usr/share/doc/parley/{copyright,changelog.Debian.gz}
#   /usr/share/man/man1/parley.1.gz        packaging/deb/parley.1
# with maintainer scripts (packaging/deb/post*, prerm) that create the `parley`
# system user and enable the unit.

set(PARLEY_WEB_OUT "${CMAKE_SOURCE_DIR}/web/out" CACHE PATH "The built web client to package")
set(PARLEY_DEB_RELEASE 1)
set(PARLEY_DEB_VERSION "${PROJECT_VERSION}-${PARLEY_DEB_RELEASE}")

# cpack installs what is built; `make package` builds the server (and not the
# tests and benchmarks that `all` holds) before it runs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
install(TARGETS parley RUNTIME DESTINATION bin)
# No OPTIONAL: a package without its web client is a broken package.
install(DIRECTORY "${PARLEY_WEB_OUT}/" DESTINATION share/parley/web
        PATTERN ".build-stamp" EXCLUDE)
install(FILES "${CMAKE_SOURCE_DIR}/packaging/deb/parley.service" DESTINATION /lib/systemd/system)
install(DIRECTORY "${CMAKE_SOURCE_DIR}/deploy/" DESTINATION share/doc/parley/examples)

# Debian's changelog, versioned and dated at configure time, compressed as policy wants.
string(TIMESTAMP PARLEY_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file("${CMAKE_SOURCE_DIR}/packaging/deb/changelog" "${CMAKE_BINARY_DIR}/packaging/changelog.Debian" @ONLY)
execute_process(COMMAND gzip -9 -n -c "${CMAKE_BINARY_DIR}/packaging/changelog.Debian"
                OUTPUT_FILE "${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz")
configure_file("${CMAKE_SOURCE_DIR}/packaging/deb/parley.1" "${CMAKE_BINARY_DIR}/packaging/parley.1" @ONLY)
execute_process(COMMAND gzip -9 -n -c "${CMAKE_BINARY_DIR}/packaging/parley.1"
                OUTPUT_FILE "${CMAKE_BINARY_DIR}/packaging/parley.1.gz")
install(FILES "${CMAKE_BINARY_DIR}/packaging/parley.1.gz" DESTINATION share/man/man1)
install(FILES "${CMAKE_SOURCE_DIR}/packaging/deb/copyright" "${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz"
        DESTINATION share/doc/parley)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX "${CMAKE_BINARY_DIR}/package")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGE_CONTACT "Parley maintainers <parley@example.org>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${PARLEY_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "self-hosted real-time chat server
Parley is a chat server in one binary: a REST API and Socket.IO-compatible
real-time events, direct and group conversations, presence and typing, with
its data in SQLite (or PostgreSQL and Redis for several nodes).
.
This package installs the server, its web client, and a systemd unit that
runs it as the parley user with its data in /var/lib/parley.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/deb/postinst;${CMAKE_SOURCE_DIR}/packaging/deb/prerm;${CMAKE_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
