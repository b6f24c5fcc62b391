import Runtime

let learningCommands: [Command] = []
