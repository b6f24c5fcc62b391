import Runtime

let dataCommands: [Command] = []
