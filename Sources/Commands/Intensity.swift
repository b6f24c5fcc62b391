import Runtime

let intensityCommands: [Command] = []
