"use client"

import { useState } from "react"
import { DragDropContext, Droppable, Draggable, type DropResult } from "react-beautiful-dnd"
import { Badge } from "@/components/ui/badge"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"

type Task = { id: string; title: string }
type Column = { id: string; title: string; tasks: Task[] }

const initialColumns: Column[] = [
  { id: "todo", title: "To do", tasks: [{ id: "t1", title: "Write the brief" }, { id: "t2", title: "Collect references" }] },
  { id: "doing", title: "In progress", tasks: [{ id: "t3", title: "Wireframes" }] },
  { id: "done", title: "Done", tasks: [{ id: "t4", title: "Kick-off call" }] },
]

export function Board() {
  const [columns, setColumns] = useState(initialColumns)

  const onDragEnd = ({ source, destination }: DropResult) => {
    if (!destination) return
    const next = columns.map((c) => ({ ...c, tasks: [...c.tasks] }))
    const from = next.find((c) => c.id === source.droppableId)!
    const to = next.find((c) => c.id === destination.droppableId)!
    const [moved] = from.tasks.splice(source.index, 1)
    to.tasks.splice(destination.index, 0, moved)
    setColumns(next)
  }

  return (
    <DragDropContext onDragEnd={onDragEnd}>
      <div className="grid gap-4 md:grid-cols-3">
        {columns.map((column) => (
          <Card key={column.id} className="bg-muted/50">
            <CardHeader className="flex flex-row items-center justify-between">
              <CardTitle className="text-base">{column.title}</CardTitle>
              <Badge variant="secondary">{column.tasks.length}</Badge>
            </CardHeader>
            <CardContent>
              <Droppable droppableId={column.id} isDropDisabled={false} isCombineEnabled={false} ignoreContainerClipping={false}>
                {(provided) => (
                  <div ref={provided.innerRef} {...provided.droppableProps} className="min-h-24 space-y-2">
                    {column.tasks.map((task, index) => (
                      <Draggable key={task.id} draggableId={task.id} index={index}>
                        {(drag) => (
                          <div
                            ref={drag.innerRef}
                            {...drag.draggableProps}
                            {...drag.dragHandleProps}
                            className="task rounded-md border bg-background p-3 text-sm shadow-xs"
                          >
                            {task.title}
                          </div>
                        )}
                      </Draggable>
                    ))}
                    {provided.placeholder}
                  </div>
                )}
              </Droppable>
            </CardContent>
          </Card>
        ))}
      </div>
    </DragDropContext>
  )
}
