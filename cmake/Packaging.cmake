# The Debian package (cpack -G DEB in a build tree, after building): nbs-mcpd, nbs-runner, nbs and
# nbs-task-supervisor in /usr/bin (their install() rules are in mcpd/, runner/, cli/ and jobs/local/), the
# default configuration
# /etc/nbs/nbs-mcpd.yaml (a conffile), the systemd unit nbs-mcpd.service, the documentation and the
# deployment files. Depends: the shared libraries as dpkg-shlibdeps finds them (libgit2-1.5,
# libboost-json1.81.0, libyaml-cpp0.7, libspdlog1.10-fmt9, ...), plus the programs the runner and the local
# executor start. Tested by tests/deploy/package_test.py (label "package").
set(NBS_PACKAGE_FILES ${PROJECT_SOURCE_DIR}/deploy/package)

install(FILES ${NBS_PACKAGE_FILES}/nbs-mcpd.yaml DESTINATION /etc/nbs)
install(FILES ${NBS_PACKAGE_FILES}/nbs-mcpd.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/README.md
              ${PROJECT_SOURCE_DIR}/docs/operator-guide.md ${PROJECT_SOURCE_DIR}/docs/agent-guide.md
              ${PROJECT_SOURCE_DIR}/docs/job-config.md
        DESTINATION share/doc/nbs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/nomad DESTINATION share/doc/nbs/deploy)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/runner.Containerfile DESTINATION share/doc/nbs/deploy)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nbs)
set(CPACK_PACKAGE_VENDOR "Nomad Build Service")
set(CPACK_PACKAGE_CONTACT "Nomad Build Service maintainers <nbs@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "build, test and publish container images for coding agents (MCP)")
set(CPACK_PACKAGE_DESCRIPTION
    "nbs-mcpd serves MCP tools that build a Git ref into a container image with rootless Buildah, test it "
    "inside the image and publish it to a registry, on Nomad or on this machine. nbs-runner runs the phases; "
    "nbs is the command-line client.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "buildah, podman, uidmap, runc, ca-certificates, passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "skopeo, slirp4netns, gnupg")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${NBS_PACKAGE_FILES}/conffiles ${NBS_PACKAGE_FILES}/postinst ${NBS_PACKAGE_FILES}/prerm
    ${NBS_PACKAGE_FILES}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
