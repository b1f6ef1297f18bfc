"use client"

import * as React from "react"
import { ThemeProvider, createTheme } from "@mui/material/styles"
import CssBaseline from "@mui/material/CssBaseline"
import AppBar from "@mui/material/AppBar"
import Toolbar from "@mui/material/Toolbar"
import Typography from "@mui/material/Typography"
import IconButton from "@mui/material/IconButton"
import Chip from "@mui/material/Chip"
import { Box, Button, Paper, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, TextField } from "@mui/material"
import MenuIcon from "@mui/icons-material/Menu"
import DeleteIcon from "@mui/icons-material/Delete"
import { Add as AddIcon } from "@mui/icons-material"

const theme = createTheme({ palette: { primary: { main: "#4f46e5" } }, shape: { borderRadius: 10 } })

const initial = [
  { id: 1, customer: "Ada Lovelace", total: 120.5, status: "Paid" },
  { id: 2, customer: "Alan Turing", total: 89.99, status: "Pending" },
  { id: 3, customer: "Grace Hopper", total: 310, status: "Paid" },
]

export function OrdersTable() {
  const [rows, setRows] = React.useState(initial)
  const [name, setName] = React.useState("")
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <AppBar position="static">
        <Toolbar>
          <IconButton edge="start" color="inherit" aria-label="menu">
            <MenuIcon />
          </IconButton>
          <Typography id="mui-title" variant="h6" sx={{ flexGrow: 1 }}>
            Orders
          </Typography>
        </Toolbar>
      </AppBar>
      <Box sx={{ p: 3, display: "grid", gap: 2 }}>
        <Box sx={{ display: "flex", gap: 1 }}>
          <TextField size="small" label="Customer" value={name} onChange={(e) => setName(e.target.value)} />
          <Button
            id="add-order"
            variant="contained"
            startIcon={<AddIcon />}
            onClick={() => {
              setRows([...rows, { id: Date.now(), customer: name || "New customer", total: 0, status: "Pending" }])
              setName("")
            }}
          >
            Add order
          </Button>
        </Box>
        <TableContainer component={Paper}>
          <Table size="small">
            <TableHead>
              <TableRow>
                <TableCell>Customer</TableCell>
                <TableCell align="right">Total</TableCell>
                <TableCell>Status</TableCell>
                <TableCell />
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((row) => (
                <TableRow key={row.id} className="order-row">
                  <TableCell>{row.customer}</TableCell>
                  <TableCell align="right">${row.total.toFixed(2)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={row.status} color={row.status === "Paid" ? "success" : "warning"} />
                  </TableCell>
                  <TableCell align="right">
                    <IconButton aria-label="delete" onClick={() => setRows(rows.filter((r) => r.id !== row.id))}>
                      <DeleteIcon fontSize="small" />
                    </IconButton>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </Box>
    </ThemeProvider>
  )
}
