print("emsh")
