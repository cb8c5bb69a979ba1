"""Dockerfiles of real shapes for the preflight corpus test: VALID ones Buildah 1.28 builds (the
preflight must pass them and count their steps right) and INVALID ones (the preflight must report the
expected class on the expected line, and Buildah must fail too). `{base}` stands for the busybox base
image; `files` is the repository (default: a.txt); `context` and `dockerfile` are relative to it."""

A = {"a.txt": "a\n"}
APP = {"a.txt": "a\n", "src/main.sh": "echo main\n", "src/lib/util.sh": "echo util\n", "README.md": "r\n",
       "docs/guide.md": "g\n", "build/out.bin": "x\n", "tmp/cache": "c\n", "web/index.html": "<p>\n"}

VALID = [
    dict(name="single_stage_run", dockerfile="FROM {base}\nRUN echo hello > /hello\nCOPY a.txt /a.txt\n"
         "CMD [\"cat\", \"/hello\"]\n"),
    dict(name="builder_pattern", files=APP, dockerfile=(
        "FROM {base} AS build\nWORKDIR /src\nCOPY src/ ./\nRUN sh main.sh > /out.txt\n"
        "FROM {base}\nCOPY --from=build /out.txt /out.txt\nENTRYPOINT [\"cat\", \"/out.txt\"]\n")),
    dict(name="global_arg_base", dockerfile="ARG BASE={base}\nARG TAG=x\nFROM ${BASE}\nARG TAG\n"
         "RUN echo $TAG > /tag\n"),
    dict(name="build_arg_source", build_args={"F": "a.txt"}, dockerfile="FROM scratch\nARG F=missing.txt\n"
         "COPY ${F} /f\n"),
    dict(name="env_source_and_workdir", files=APP, dockerfile="FROM scratch\nENV SRC=src DEST=/app\n"
         "WORKDIR $DEST\nCOPY $SRC/main.sh ${SRC}/lib ./\n"),
    dict(name="old_env_form", dockerfile="FROM scratch\nENV F a.txt\nCOPY $F /f\n"),
    dict(name="arg_default_modifier", dockerfile="FROM scratch\nARG F\nCOPY ${F:-a.txt} /f\n"),
    dict(name="dockerignore_with_exception", files={**APP, ".dockerignore": "*.md\n!README.md\nbuild\ntmp/\n"},
         dockerfile="FROM scratch\nCOPY . /app\nCOPY README.md /r\nCOPY src /src\n"),
    dict(name="dockerignore_dir_copy_other", files={**APP, ".dockerignore": "docs\n"},
         dockerfile="FROM scratch\nCOPY src /src\nCOPY web/ /web/\n"),
    dict(name="glob_some_ignored", files={"a.txt": "a", "b.txt": "b", ".dockerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY *.txt /t/\n"),
    dict(name="glob_in_directory", files=APP, dockerfile="FROM scratch\nCOPY s*/ma?n.sh /m/\n"
         "COPY src/[a-m]*.sh /n/\n"),
    dict(name="ignored_contents_leave_dir", files={"sub/f": "x", ".dockerignore": "sub/*\n"},
         dockerfile="FROM scratch\nCOPY sub /sub\n"),
    dict(name="exception_inside_ignored_dir", files={"sub/keep.txt": "k", "sub/drop.txt": "d",
                                                     ".dockerignore": "sub\n!sub/keep.txt\n"},
         dockerfile="FROM scratch\nCOPY sub /sub\nCOPY sub/keep.txt /k\n"),
    dict(name="doublestar_ignore", files={**APP, ".dockerignore": "**/*.md\n"},
         dockerfile="FROM scratch\nCOPY src /src\nCOPY a.txt /a\n"),
    dict(name="lowercase_instructions", dockerfile="from scratch as base\ncopy a.txt /a\nlabel x=y\n"
         "from base\nenv A=1\n"),
    dict(name="escape_backtick", dockerfile="# escape=`\nFROM scratch\nCOPY a.txt `\n  /a\n"
         "LABEL path=c:\\dir `\n  other=1\n"),
    dict(name="syntax_directive", dockerfile="# syntax=docker/dockerfile:1\nFROM scratch\nCOPY a.txt /a\n"),
    dict(name="comments_in_continuation", dockerfile="FROM scratch\nLABEL a=1 \\\n# a comment\n  b=2 \\\n"
         "    # indented comment\n  c=3\nCOPY a.txt /a\n"),
    dict(name="empty_continuation_lines", dockerfile="FROM scratch\nLABEL a=1 \\\n\n   \n  b=2\n"),
    dict(name="json_forms", dockerfile="FROM {base}\nRUN [\"sh\", \"-c\", \"echo json > /j\"]\n"
         "COPY [\"a.txt\", \"/a\"]\nENTRYPOINT [\"sh\", \"-c\"]\nCMD [\"cat /j\"]\nVOLUME [\"/data\"]\n"),
    dict(name="all_metadata", dockerfile="FROM scratch\nMAINTAINER someone\nLABEL version=\"1.0\" \\\n"
         "      description=\"a test\"\nEXPOSE 80 443/tcp\nUSER 1000:1000\nWORKDIR /w\nSTOPSIGNAL SIGTERM\n"
         "HEALTHCHECK --interval=30s CMD [\"true\"]\nSHELL [\"/bin/sh\", \"-c\"]\nONBUILD RUN echo later\n"),
    dict(name="healthcheck_none", dockerfile="FROM scratch\nHEALTHCHECK NONE\n"),
    dict(name="onbuild_unknown_trigger", dockerfile="FROM scratch\nONBUILD FOOO bar\n"),
    dict(name="target_intermediate", target="build", dockerfile=(
        "FROM scratch AS build\nCOPY a.txt /a\nFROM scratch AS test\nCOPY --from=build /a /b\n"
        "FROM scratch\nCOPY missing /m\n")),
    dict(name="target_first_of_three", target="first", dockerfile=(
        "FROM scratch AS first\nCOPY a.txt /a\nFROM scratch AS second\nCOPPY x y\nFROM scratch\n")),
    dict(name="unused_stage_with_errors", dockerfile=(
        "FROM scratch AS unused\nCOPPY a b\nCOPY nothere /x\nCOPY --from=later /a /b\nFROM\n"
        "FROM scratch AS later\nCOPY a.txt /a\n")),
    dict(name="instructions_before_from", dockerfile="RUN echo never\nENV A=1\nFOOO bar\nFROM scratch\n"
         "COPY a.txt /a\n"),
    dict(name="copy_from_index", dockerfile="FROM scratch\nCOPY a.txt /a\nFROM scratch\nCOPY --from=0 /a /b\n"),
    dict(name="copy_from_image", dockerfile="FROM scratch\nCOPY --from={base} /bin/busybox /busybox\n"),
    dict(name="run_mount_from_stage", dockerfile=(
        "FROM scratch AS files\nCOPY a.txt /a\nFROM {base}\n"
        "RUN --mount=type=bind,from=files,target=/m cat /m/a\n")),
    dict(name="from_previous_stage", dockerfile=(
        "FROM {base} AS base\nRUN echo base > /base\nFROM base AS mid\nRUN cat /base\nFROM mid\n"
        "COPY a.txt /a\n")),
    dict(name="transitive_stages", dockerfile=(
        "FROM scratch AS a\nCOPY a.txt /a\nFROM a AS b\nCOPY a.txt /b\nFROM scratch AS c\nCOPY a.txt /c\n"
        "FROM scratch AS d\nCOPY a.txt /d\nFROM scratch AS unused\nCOPY a.txt /u\n"
        "FROM b\nCOPY --from=c /c /c2\nCOPY --from=3 /d /d2\n")),
    dict(name="copy_chown_chmod", dockerfile="FROM scratch\nCOPY --chown=\"1:1\" --chmod=755 a.txt /a\n"
         "ADD --chown=2:2 a.txt /b\n"),
    dict(name="add_local_file", dockerfile="FROM scratch\nADD a.txt /added\n"),
    dict(name="dockerfile_in_subdir", files={**APP, "docker/Dockerfile": "FROM scratch\nCOPY main.sh /m\n"},
         dockerfile=None, dockerfile_path="docker/Dockerfile", context="src"),
    dict(name="dockerfile_dockerignore_beside", files={"a.txt": "a", "b.txt": "b",
                                                       "Dockerfile.dockerignore": "b.txt\n",
                                                       ".dockerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY a.txt /a\n"),
    dict(name="containerignore_wins", files={"a.txt": "a", ".containerignore": "b.txt\n",
                                             ".dockerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY a.txt /a\n"),
    dict(name="absolute_looking_source", dockerfile="FROM scratch\nCOPY /a.txt /a\n"),
    dict(name="crlf_line_endings", dockerfile="FROM scratch\r\nCOPY a.txt \\\r\n  /a\r\n"),
    dict(name="byte_order_mark", dockerfile="\ufeffFROM scratch\nCOPY a.txt /a\n"),
    dict(name="heredoc_text_in_quotes", dockerfile="FROM {base}\nRUN echo \"a <<b\" && echo $((1<<2))\n"),
    dict(name="several_sources_to_dir", files=APP, dockerfile="FROM scratch\nCOPY a.txt README.md src/main.sh /d/\n"),
    dict(name="copy_dot_workdir", files=APP, dockerfile="FROM scratch\nWORKDIR /app\nCOPY . .\n"),
    dict(name="stage_names_mixed_case", dockerfile="FROM scratch AS Build\nCOPY a.txt /a\nFROM scratch\n"
         "COPY --from=Build /a /b\n"),
    dict(name="global_arg_redeclared", files=APP, dockerfile="ARG DIR=src\nFROM scratch\nARG DIR\n"
         "COPY $DIR/main.sh /m\n"),
    dict(name="env_inherited_from_stage", dockerfile="FROM scratch AS base\nENV F=a.txt\nFROM base\n"
         "COPY $F /f\n"),
    # Not defined here, so maybe by the base image: the preflight leaves it alone (Buildah: "a.txt").
    dict(name="undefined_variable_in_source", dockerfile="FROM scratch\nCOPY ${UNDEFINED}a.txt /a\n"),
]

INVALID = [
    dict(name="fromm", dockerfile="FROMM scratch\n", expect=("dockerfile_syntax", 1)),
    dict(name="empty_file", dockerfile="", expect=("dockerfile_syntax", 1)),
    dict(name="comments_only_run", dockerfile="# build it\nRUN echo hi\n", expect=("dockerfile_syntax", 2)),
    dict(name="unknown_in_built_stage", dockerfile="FROM scratch\nCOPPY a.txt /a\n",
         expect=("dockerfile_syntax", 2)),
    dict(name="entrypiont", dockerfile="FROM scratch\nCOPY a.txt /a\nENTRYPIONT [\"x\"]\n",
         expect=("dockerfile_syntax", 3)),
    dict(name="copy_missing", dockerfile="FROM scratch\nCOPY app.txt /app\n", expect=("copy_source_missing", 2)),
    dict(name="copy_ignored", files={"a.txt": "a", ".dockerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY a.txt /a\n", expect=("copy_source_missing", 2)),
    dict(name="glob_no_match", dockerfile="FROM scratch\nCOPY *.nomatch /x/\n", expect=("copy_source_missing", 2)),
    dict(name="glob_all_ignored", files={"a.txt": "a", ".dockerignore": "*.txt\n"},
         dockerfile="FROM scratch\nCOPY *.txt /x/\n", expect=("copy_source_missing", 2)),
    dict(name="dir_ignored", files={"sub/f": "x", ".dockerignore": "sub\n"},
         dockerfile="FROM scratch\nCOPY sub /sub\n", expect=("copy_source_missing", 2)),
    dict(name="dir_ignored_unrelated_exception", files={"sub/f": "x", ".dockerignore": "sub\n!other\n"},
         dockerfile="FROM scratch\nCOPY sub /sub\n", expect=("copy_source_missing", 2)),
    dict(name="env_source_missing", dockerfile="FROM scratch\nENV G=nothere\nCOPY $G /g\n",
         expect=("copy_source_missing", 3)),
    dict(name="build_arg_source_missing", build_args={"F": "gone.txt"},
         dockerfile="FROM scratch\nARG F=a.txt\nCOPY ${F} /f\n", expect=("copy_source_missing", 3)),
    dict(name="dockerfile_dockerignore", files={"a.txt": "a", "Dockerfile.dockerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY a.txt /a\n", expect=("copy_source_missing", 2)),
    dict(name="containerignore", files={"a.txt": "a", ".containerignore": "a.txt\n"},
         dockerfile="FROM scratch\nCOPY a.txt /a\n", expect=("copy_source_missing", 2)),
    dict(name="context_subdir_missing", files={"web/index.html": "x", "a.txt": "a"},
         dockerfile="FROM scratch\nCOPY index.html /i\nCOPY a.txt /a\n", context="web",
         expect=("copy_source_missing", 3)),
    dict(name="from_later_stage", dockerfile=(
        "FROM scratch AS first\nCOPY --from=second /a /b\nFROM scratch AS second\nCOPY a.txt /a\n"
        "FROM scratch\nCOPY --from=first /b /c\n"), expect=("dockerfile_syntax", 2)),
    dict(name="from_self_name", dockerfile="FROM scratch AS first\nCOPY --from=first /a /b\n",
         expect=("dockerfile_syntax", 2)),
    dict(name="from_self_index", dockerfile="FROM scratch\nCOPY --from=0 /a /b\n", expect=("dockerfile_syntax", 2)),
    dict(name="from_later_index", dockerfile=(
        "FROM scratch AS first\nCOPY --from=1 /a /b\nFROM scratch AS second\nCOPY a.txt /a\n"
        "FROM scratch\nCOPY --from=0 /b /c\n"), expect=("dockerfile_syntax", 2)),
    dict(name="from_index_out_of_range_unused", dockerfile=(
        "FROM scratch AS unused\nCOPY --from=5 /a /b\nFROM scratch\nCOPY a.txt /a\n"),
         expect=("dockerfile_syntax", 2)),
    dict(name="from_typo", dockerfile="FROM scratch AS builder\nCOPY a.txt /a\nFROM scratch\n"
         "COPY --from=buidler /a /b\n", expect=("dockerfile_syntax", 4)),
    dict(name="from_wrong_case", dockerfile="FROM scratch AS Build\nCOPY a.txt /a\nFROM scratch\n"
         "COPY --from=build /a /b\n", expect=("dockerfile_syntax", 4)),
    dict(name="target_undefined", target="prod", dockerfile="FROM scratch AS build\nFROM scratch AS app\n",
         expect=("dockerfile_syntax", 0)),
    dict(name="from_without_image", dockerfile="FROM\nCOPY a.txt /a\n", expect=("dockerfile_syntax", 1)),
    dict(name="copy_one_argument", dockerfile="FROM scratch\nCOPY a.txt\n", expect=("dockerfile_syntax", 2)),
    dict(name="heredoc_run", dockerfile="FROM {base}\nRUN <<EOF\necho hi > /x\nEOF\n",
         expect=("dockerfile_syntax", 2)),
    dict(name="heredoc_copy", dockerfile="FROM scratch\nCOPY <<EOF /dst\nhello\nEOF\n",
         expect=("dockerfile_syntax", 2)),
    dict(name="escape_after_syntax", dockerfile="# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\n"
         "COPY a.txt `\n  /a\n", expect=("dockerfile_syntax", 5)),
    dict(name="escape_invalid", dockerfile="# escape=x\nFROM scratch\n", expect=("dockerfile_syntax", 1)),
]
