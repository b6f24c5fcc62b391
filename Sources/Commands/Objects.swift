import Runtime

let objectCommands: [Command] = []
