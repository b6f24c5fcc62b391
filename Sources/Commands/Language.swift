import Runtime

let languageCommands: [Command] = []
