import Runtime

let lookingCommands: [Command] = []
