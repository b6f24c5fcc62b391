import Runtime

let fileCommands: [Command] = []
