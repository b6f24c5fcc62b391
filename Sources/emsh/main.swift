// emsh: the REPL, script runner and session replayer (see `emsh --help`).
#if canImport(Glibc)
import Glibc
#endif
import Shell

exit(CLI.main(Array(CommandLine.arguments.dropFirst())))
