import Runtime

/// Every command of emsh: the one list. Each topic file declares its own array.
public let allCommands: [Command] =
    builtinCommands + mathCommands + showCommands + infoCommands + navigationCommands + sessionCommands + fileCommands
    + volumeCommands + intensityCommands + phantomCommands + tableCommands
    + modelCommands + evaluationCommands + objectCommands + plotCommands
    + stringCommands + listCommands + pathCommands + tableVerbCommands

/// The registry an interpreter uses.
public func makeRegistry() -> Registry { Registry(allCommands) }
