import Runtime

let plotCommands: [Command] = []
