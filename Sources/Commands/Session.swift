import Runtime

let sessionCommands: [Command] = []
