import Runtime

let volumeCommands: [Command] = []
