import Runtime

let evaluationCommands: [Command] = []
